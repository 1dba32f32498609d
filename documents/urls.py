"""HTTP routes of this app (included at the site root by config/urls.py)."""

urlpatterns: list = []
