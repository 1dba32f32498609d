"""Database helpers that keep a read-and-write in one SQL statement.

- ``insert_or_read``: ``INSERT … ON CONFLICT (…) DO NOTHING RETURNING …``, then a
  read of the row that won; "insert unless the unique key exists" everywhere.
- ``insert_new_rows``: its multi-row form for batches: ``INSERT … ON CONFLICT
  (…) DO NOTHING RETURNING <pk>``, no read (the caller wants what it wrote).
- ``update_returning``: ``UPDATE … RETURNING …``.

Both run on PostgreSQL and on SQLite 3.35+ (``ON CONFLICT DO NOTHING`` since
3.24, ``RETURNING`` since 3.35).
"""

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Field, Model, Q, QuerySet, UniqueConstraint
from django.db.models.sql import InsertQuery, Query, UpdateQuery

M = TypeVar("M", bound=Model)

# The largest value of an INTEGER column (PostgreSQL's 32-bit ``integer``, which
# Django's IntegerField and PositiveIntegerField map to).
INTEGER_MAX = 2**31 - 1

# How often insert_or_read tries again when the row that blocked its insert is gone
# (changed or deleted by another transaction) before it could read it.
_INSERT_OR_READ_ATTEMPTS = 5


def _column(model: type[Model], name: str) -> "Field[Any, Any]":
    """The concrete field ``name`` of ``model`` (a column, not a reverse relation)."""
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise ValueError(f"{model._meta.label}.{name} is not a column")
    return field


def _returning_columns(model: type[Model], using: str) -> str:
    quote = connections[using].ops.quote_name
    return ", ".join(quote(str(field.column)) for field in model._meta.concrete_fields)


def _conflict_target(model: type[Model], conflict: str | Sequence[str]) -> tuple[list[str], Q]:
    """The field names and partial-index condition (``Q()`` when none) of ``conflict``:
    a UniqueConstraint's name, or the names of unique field(s)."""
    if isinstance(conflict, str):
        for constraint in model._meta.constraints:
            if isinstance(constraint, UniqueConstraint) and constraint.name == conflict:
                return list(constraint.fields), constraint.condition or Q()
        return [conflict], Q()
    return list(conflict), Q()


def _condition_sql(model: type[Model], condition: Q, using: str) -> str:
    """``condition`` as SQL with inlined literals, as the index's own predicate is
    written: both databases only match a partial index to a literal predicate."""
    connection = connections[using]
    query = Query(model=model, alias_cols=False)
    where = query.build_where(condition)
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    quote_value = connection.SchemaEditorClass(connection).quote_value
    return sql % tuple(quote_value(p) for p in params)


def insert_or_read(
    instance: M, *, conflict: str | Sequence[str], using: str | None = None
) -> tuple[M, bool]:
    """Insert ``instance`` unless a row with its unique key exists; return the row.

    Runs ``INSERT … ON CONFLICT (<cols>) [WHERE <partial index predicate>] DO
    NOTHING RETURNING <all columns>``. A row back means this call inserted it
    (``created`` True, and the instance returned carries the database defaults).
    No row back means the key was taken: the existing row is read by the key's
    values (and the partial index's condition) and returned with ``created``
    False. On PostgreSQL a concurrent insert of the same key waits for the other
    transaction and then reads its row, so racing callers end on one row.

    Args:
        instance: an unsaved model instance (its Python defaults are applied).
        conflict: the name of a ``UniqueConstraint`` of the model (partial ones
            included, e.g. one active session per phone), or the field name(s) of
            a unique field or unique constraint (``"id"``, ``("request_id",)``).
        using: the database alias (default: the router's write database).

    Returns: ``(row, created)``.
    Raises: IntegrityError for any other constraint (CHECK, NOT NULL, foreign
    key): unlike SQLite's ``INSERT OR IGNORE``, ``DO NOTHING`` only skips the
    conflict named. RuntimeError when the blocking row disappeared on every try.
    """
    model = type(instance)
    using = using or router.db_for_write(model, instance=instance)
    connection = connections[using]
    fields, condition = _conflict_target(model, conflict)
    meta = model._meta
    insert_fields = [
        f
        for f in meta.local_concrete_fields
        if not (f.primary_key and getattr(instance, f.attname) is None)
    ]
    quote = connection.ops.quote_name
    target = ", ".join(quote(str(_column(model, name).column)) for name in fields)
    predicate = f" WHERE {_condition_sql(model, condition, using)}" if condition else ""
    returning = _returning_columns(model, using)
    suffix = f" ON CONFLICT ({target}){predicate} DO NOTHING RETURNING {returning}"
    lookup: dict[str, Any] = {
        name: getattr(instance, _column(model, name).attname) for name in fields
    }
    manager = model._default_manager.db_manager(using)
    for _attempt in range(_INSERT_OR_READ_ATTEMPTS):
        query = InsertQuery(model)
        query.insert_values(insert_fields, [instance])
        ((sql, params),) = query.get_compiler(using=using).as_sql()
        rows = list(manager.raw(sql + suffix, params))
        if rows:
            return rows[0], True
        existing = manager.filter(condition, **lookup).first()
        if existing is not None:
            return existing, False
    raise RuntimeError(f"{meta.label}: the row blocking the insert kept disappearing")


def insert_new_rows(
    objs: Sequence[M], *, conflict: str | Sequence[str], using: str | None = None
) -> set[Any]:
    """Insert ``objs`` (unsaved, of one model) except those whose unique key is taken;
    return the primary keys of the rows written.

    The multi-row form of ``insert_or_read`` for batches, without the read: the
    caller needs what it wrote (to count it, roll it up), not the rows that
    blocked. PostgreSQL: one ``INSERT … SELECT * FROM unnest(<one array per
    column>) ON CONFLICT (<cols>) DO NOTHING RETURNING <pk>`` whatever the number
    of rows (a parameter per column, not per value). SQLite 3.35+: ``INSERT …
    VALUES (…), (…) …`` per batch its parameter limit allows. Only the named
    conflict is skipped (a CHECK or NOT NULL violation raises); a concurrent insert
    of the same key waits for the other transaction, then does nothing. An
    auto-increment primary key left None is filled by the database.

    Args: ``conflict`` as for ``insert_or_read`` (not a partial constraint).
    Returns: the written rows' primary keys (as the pk field's Python values).
    """
    if not objs:
        return set()
    model = type(objs[0])
    using = using or router.db_for_write(model)
    connection = connections[using]
    fields_, _condition = _conflict_target(model, conflict)
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    fields = [
        f
        for f in meta.local_concrete_fields
        if not (f.primary_key and getattr(objs[0], f.attname) is None)
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    target = ", ".join(quote(str(_column(model, name).column)) for name in fields_)
    suffix = f" ON CONFLICT ({target}) DO NOTHING RETURNING {quote(str(pk.column))}"
    table = quote(meta.db_table)
    written: set[Any] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
            values: list[Any] = [
                [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs]
                for f in fields
            ]
            # Identifiers and types come from the model; every value is a parameter.
            sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608
            cursor.execute(sql + suffix, values)
            rows = cursor.fetchall()
        else:
            row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
            batch = max(1, connection.ops.bulk_batch_size(fields, list(objs)))
            rows = []
            for i in range(0, len(objs), batch):
                chunk = objs[i : i + batch]
                params = [
                    f.get_db_prep_save(getattr(obj, f.attname), connection)
                    for obj in chunk
                    for f in fields
                ]
                many = ", ".join([row_sql] * len(chunk))
                sql = f"INSERT INTO {table} ({columns}) VALUES {many}"  # noqa: S608
                cursor.execute(sql + suffix, params)
                rows += cursor.fetchall()
    for (value,) in rows:
        # SQLite hands back a UUID primary key as its hex text.
        written.add(pk.to_python(value))
    return written


def update_returning(queryset: QuerySet[M], **values: Any) -> list[M]:
    """Update the rows of ``queryset`` and return them as they are after the update.

    Runs ``UPDATE <table> SET <values> WHERE <queryset's filter> RETURNING <columns>``
    as one statement (PostgreSQL, and SQLite 3.35+), so no other transaction can
    change a row between the read and the write. ``values`` are what
    ``QuerySet.update`` takes: plain values or expressions such as ``F("n") + 1``.

    Returns: the updated instances (an empty list when nothing matched).
    """
    model = queryset.model
    query = queryset.query.chain(UpdateQuery)
    assert isinstance(query, UpdateQuery)
    query.add_update_values(values)
    sql, params = query.get_compiler(queryset.db).as_sql()
    if not sql:
        return []
    statement = f"{sql} RETURNING {_returning_columns(model, queryset.db)}"
    return list(model._default_manager.db_manager(queryset.db).raw(statement, params))
