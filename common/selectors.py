"""Reads about the service itself (readiness)."""

from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor


@dataclass(frozen=True)
class Readiness:
    """Whether the service can take traffic; ``reason`` is a code when it cannot."""

    ready: bool
    reason: str = ""
    detail: str = ""


def readiness_check() -> Readiness:
    """Check that the database answers ``SELECT 1`` and that no migration is pending.

    Returns: Readiness(ready=True) or Readiness(False, "database_unavailable" |
    "migrations_pending", detail). Never raises for a database error.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Readiness(
            False, "database_unavailable", f"The database did not answer: {type(exc).__name__}."
        )
    if plan:
        names = ", ".join(f"{m.app_label}.{m.name}" for m, _backwards in plan[:5])
        return Readiness(
            False, "migrations_pending", f"{len(plan)} migration(s) not applied: {names}"
        )
    return Readiness(True)
