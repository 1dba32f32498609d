"""PostgreSQL: Django's backend with a health check that spares connections in steady use.

With ``CONN_HEALTH_CHECKS`` Django runs ``SELECT 1`` on a reused connection
before the first query of every request: a full round trip to the database,
as long as a restore's own statement. Here a connection that was checked or
used within the last ``HEALTH_CHECK_IDLE_SECONDS`` (a key of the database
settings; ``DATABASE_HEALTH_CHECK_IDLE_SECONDS``, default 1 s) is not checked
again: the queries of the request before proved it, and a query that fails
marks the connection (Django's ``errors_occurred``), which Django then tests
and closes at the end of that request. A connection idle for longer (a quiet
worker, a pooler or server that may have dropped it) is checked as before, so
a database restart between two quiet requests still costs no request. 0
checks on every request, as Django does.
"""

import time

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's PostgreSQL ``DatabaseWrapper``; see the module docstring."""

    _health_checked_at = float("-inf")
    health_check_done: bool

    def close_if_health_check_failed(self) -> None:
        """Django's health check, skipped for a connection used moments ago."""
        enabled = self.settings_dict["CONN_HEALTH_CHECKS"]
        if self.connection is not None and enabled and not self.health_check_done:
            now = time.monotonic()
            idle = self.settings_dict.get("HEALTH_CHECK_IDLE_SECONDS", 0)
            if now - self._health_checked_at < idle:
                self.health_check_done = True
            self._health_checked_at = now
        super().close_if_health_check_failed()

    def connect(self) -> None:
        """Open a connection (a new one needs no check before its first query)."""
        super().connect()
        self._health_checked_at = time.monotonic()
