"""Database functions that Django does not ship, for PostgreSQL and SQLite."""

from typing import Any

from django.db import NotSupportedError
from django.db.models import Func, IntegerField


class DurationSeconds(Func):
    """Whole seconds from ``start`` to ``end`` (two datetime expressions), computed by
    the database: the floor of the difference, never negative, NULL when either is NULL.

    PostgreSQL: ``GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (end - start)))::integer)``
    (the original SQL's ``calculate_session_duration``, without its rounding up);
    SQLite: the same from ``julianday()`` differences (rounded to milliseconds
    first, so 60 s do not come out as 59.99999 → 59).

    Example: ``UserSession.objects.update(total_duration_seconds=DurationSeconds(
    F("started_at"), Now()))``.
    """

    arity = 2
    output_field = IntegerField()

    def __init__(self, start: Any, end: Any, **extra: Any) -> None:
        super().__init__(end, start, **extra)  # SQL reads "end - start"

    def as_sql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:  # type: ignore[override]
        raise NotSupportedError(f"DurationSeconds is not implemented for {connection.vendor}")

    def as_postgresql(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="GREATEST(0, FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)))::integer)",
            arg_joiner=" - ",
            **extra_context,
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template=("MAX(0, CAST(ROUND((julianday(%(expressions)s)) * 86400.0, 3) AS INTEGER))"),
            arg_joiner=") - julianday(",
            **extra_context,
        )
