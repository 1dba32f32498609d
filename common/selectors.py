"""Reads about the service itself (readiness)."""

from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from common.supabase import supabase_exposures


@dataclass(frozen=True)
class Readiness:
    """Whether the service can take traffic; ``reason`` is a code when it cannot."""

    ready: bool
    reason: str = ""
    detail: str = ""


def readiness_check() -> Readiness:
    """Check that the database answers, that no migration is pending and, on a
    Supabase database, that the Data API roles cannot reach past row-level security.

    Bounded: connecting waits at most ``DATABASE_CONNECT_TIMEOUT`` and each
    statement at most ``READYZ_STATEMENT_TIMEOUT`` seconds (``SET LOCAL`` inside
    one transaction, so it also holds through a transaction pooler and ends
    with the transaction).

    Returns: Readiness(ready=True) or Readiness(False, "database_unavailable" |
    "migrations_pending" | "supabase_exposed", detail). Never raises for a
    database error.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                timeout_ms = max(1, round(settings.READYZ_STATEMENT_TIMEOUT * 1000))
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = {timeout_ms:d}")
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            exposures = [] if plan else supabase_exposures()
    except DatabaseError as exc:
        return Readiness(
            False, "database_unavailable", f"The database did not answer: {type(exc).__name__}."
        )
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        return Readiness(
            False, "migrations_pending", f"{len(plan)} migration(s) not applied: {names}"
        )
    if exposures:
        return Readiness(
            False,
            "supabase_exposed",
            f"{len(exposures)} way(s) past row-level security; run manage.py check_supabase.",
        )
    return Readiness(True)
