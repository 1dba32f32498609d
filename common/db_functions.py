"""Database functions that Django does not ship, for PostgreSQL and SQLite."""

from typing import Any

from django.db import NotSupportedError
from django.db.models import Func, IntegerField, JSONField


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


# RFC 7396 JSON Merge Patch for PostgreSQL, which has no built-in one (SQLite's
# json_patch() is one). Created by sessions_app's migrations; PL/pgSQL because a
# SQL-language function may not call itself. Same rules as common.merge_patch:
# an object patch merges key by key, recursively; a JSON null deletes the key;
# any other patch replaces the target whole; a SQL NULL patch changes nothing.
JSONB_MERGE_PATCH_SQL = """
CREATE OR REPLACE FUNCTION jsonb_merge_patch(target jsonb, patch jsonb)
RETURNS jsonb LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
  result jsonb;
  item record;
BEGIN
  IF patch IS NULL THEN
    RETURN target;
  END IF;
  IF jsonb_typeof(patch) <> 'object' THEN
    RETURN patch;
  END IF;
  result := CASE WHEN jsonb_typeof(target) = 'object' THEN target ELSE '{}'::jsonb END;
  FOR item IN SELECT key, value FROM jsonb_each(patch) LOOP
    IF jsonb_typeof(item.value) = 'null' THEN
      result := result - item.key;
    ELSE
      result := jsonb_set(
        result, ARRAY[item.key], jsonb_merge_patch(result -> item.key, item.value)
      );
    END IF;
  END LOOP;
  RETURN result;
END
$$
"""
JSONB_MERGE_PATCH_DROP_SQL = "DROP FUNCTION IF EXISTS jsonb_merge_patch(jsonb, jsonb)"


class JSONMergePatch(Func):
    """``patch`` (a JSON expression) applied to ``target`` (a JSON column) as a JSON
    Merge Patch (RFC 7396), by the database, in the statement that writes it.

    PostgreSQL: ``jsonb_merge_patch(target, patch)`` (``JSONB_MERGE_PATCH_SQL``,
    created by a migration); SQLite: its built-in ``json_patch(target, patch)``.
    Same result as ``common.merge_patch.json_merge_patch``. In an ``UPDATE`` it
    reads the row as it is when the row is locked, so concurrent patches of one
    row all land (no read-modify-write in Python).

    Example: ``qs.update(metadata=JSONMergePatch(F("metadata"), Value(patch, JSONField())))``.
    """

    arity = 2
    function = "jsonb_merge_patch"
    output_field = JSONField()

    @staticmethod
    def function_for(vendor: str) -> str:
        """The SQL function's name on ``vendor`` (``connection.vendor``)."""
        return "json_patch" if vendor == "sqlite" else "jsonb_merge_patch"

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> Any:
        return super().as_sql(
            compiler, connection, function=self.function_for("sqlite"), **extra_context
        )
