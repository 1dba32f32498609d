"""Reads behind the admin's dashboard, health panel and user pages.

- ``periods``: today / this week / this month and the previous ones (UTC days).
- ``usage_source``: where usage figures come from: the usage rollups.
- ``dashboard``: the figures and chart series of the front page.
- ``health``: database round trip, pending migrations, command runs, server errors.
- ``users``: one user's activity for their profile page.
"""
