"""Database helpers that keep a read-and-write in one SQL statement.

- ``insert_or_read``: ``INSERT … ON CONFLICT (…) DO NOTHING RETURNING …``, then a
  read of the row that won; "insert unless the unique key exists" everywhere
  (``DO UPDATE SET …`` instead, when the caller names what a conflict changes).
- ``insert_new_rows``: its multi-row form for batches: ``INSERT … ON CONFLICT
  (…) DO NOTHING RETURNING <pk>``, no read (the caller wants what it wrote).
- ``update_returning``: ``UPDATE … RETURNING …``.
- ``insert_sql``, ``returning_columns``, ``fetch_instances``: the pieces, for a
  hot path that writes its statement once.
- ``prepared_cursor``: a cursor whose statements the server parses and plans
  once per connection, for such a statement.

All run on PostgreSQL and on SQLite 3.35+ (``ON CONFLICT`` since 3.24,
``RETURNING`` since 3.35).
"""

import copy
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any, TypeVar

from django.db import connections, router
from django.db.backends.utils import CursorWrapper
from django.db.models import Field, Model, Q, QuerySet, UniqueConstraint
from django.db.models.expressions import RawSQL
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


def returning_columns(model: type[Model], *, using: str = "default") -> str:
    """Every column of ``model``, quoted, in ``_meta.concrete_fields`` order: the
    ``RETURNING`` list whose rows ``fetch_instances`` reads."""
    quote = connections[using].ops.quote_name
    return ", ".join(quote(str(field.column)) for field in model._meta.concrete_fields)


def insert_sql(
    instance: Model,
    *,
    expressions: Mapping[str, RawSQL] | None = None,
    using: str = "default",
) -> tuple[str, list[Any]]:
    """``INSERT INTO <table> (<columns>) VALUES (…)`` for ``instance`` and its params,
    as Django compiles it for the database (Python defaults applied, values prepared;
    a value may be an expression). For statements Django cannot write itself: an
    ``ON CONFLICT`` clause, or several writes in one statement (PostgreSQL's
    data-modifying ``WITH``).

    ``expressions``: columns (by attname) whose value is SQL rather than the
    instance's value, e.g. ``RawSQL('(SELECT "id" FROM i)', [])`` for an id another
    part of the statement returns; ``instance`` itself is not changed.

    Django's compiler writes the same text for every row of a model with the same
    columns whose values are plain or the same ``RawSQL`` texts; that text is kept
    after its first compilation, and later rows only have their values prepared
    (``pre_save`` and ``get_db_prep_save``, what the compiler does per value; a
    ``RawSQL``'s own params in its place). A row holding any other expression, or
    a model with a column that writes its own placeholder, is compiled every time.
    """
    meta = instance._meta
    overrides = expressions or {}
    fields = tuple(
        f
        for f in meta.local_concrete_fields
        if f.attname in overrides or not (f.primary_key and getattr(instance, f.attname) is None)
    )
    values = [overrides.get(f.attname, getattr(instance, f.attname)) for f in fields]
    cacheable = all(type(v) is RawSQL or not hasattr(v, "resolve_expression") for v in values)
    shape = tuple(
        (f.attname, v.sql if type(v) is RawSQL else None)
        for f, v in zip(fields, values, strict=True)
    )
    key = (type(instance), shape, using)
    template = _INSERT_TEMPLATES.get(key) if cacheable else None
    if template is not None:
        connection = connections[using]
        params: list[Any] = []
        for field, value in zip(fields, values, strict=True):
            if type(value) is RawSQL:
                params.extend(value.params)
            else:
                value = field.pre_save(instance, True)
                params.append(field.get_db_prep_save(value, connection=connection))
        return template, params
    row = instance
    if overrides:
        row = copy.copy(instance)
        for attname, expression in overrides.items():
            setattr(row, attname, expression)
    query = InsertQuery(type(instance))
    query.insert_values(list(fields), [row])
    ((sql, compiled_params),) = query.get_compiler(using=using).as_sql()
    if cacheable and not any(hasattr(f, "get_placeholder") for f in fields):
        _INSERT_TEMPLATES[key] = sql
    return sql, list(compiled_params)


# (model, its columns by attname each with the RawSQL text in its place or None,
# database alias) → the INSERT text Django compiled for such a row (see insert_sql);
# a few entries per model.
_INSERT_TEMPLATES: dict[tuple[type[Model], tuple[tuple[str, str | None], ...], str], str] = {}


Converter = Callable[[Any, Any, Any], Any]


def prepared_cursor(using: str = "default") -> CursorWrapper:
    """A cursor for fixed SQL run on every request: on PostgreSQL with prepared
    statements allowed (not through a transaction pooler; see
    ``config.settings.database``), its statements are bound and prepared on the
    server, so PostgreSQL parses and plans each once per connection instead of on
    every call; through a transaction pooler a client-side cursor, as Django's;
    on PostgreSQL either way psycopg's conversion of the ``%s`` placeholders is
    kept per statement whatever its length (psycopg keeps it only up to 4 KB);
    elsewhere an ordinary cursor. Same use as ``connection.cursor()`` (a context
    manager; ``execute``, ``fetchone``, ``fetchall``).

    Only for SQL written once and run many times, with ``%s`` placeholders and
    no parameters in utility statements (``SET``, ``COMMENT``), which take none.
    The server fixes the parameters' types when it prepares; psycopg keeps one
    prepared statement per text and parameter types (a NULL where a value was
    makes another), up to 100 per connection. Each costs the server connection
    memory for its plan: about 1 MB for a logged interaction's statement.
    """
    connection = connections[using]
    make = getattr(connection, "prepared_cursor", None)
    return make() if make is not None else connection.cursor()


@cache
def _row_converters(model: type[Model], using: str) -> list[tuple[int, list[Converter], Any]]:
    """Per column of ``model``: the converters Django's compiler applies to a value
    read from the database (JSON text to objects, SQLite's text to datetimes, UUIDs)."""
    connection = connections[using]
    result = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            result.append((index, converters, col))
    return result


def fetch_instances(
    model: type[M],
    sql: str,
    params: Sequence[Any],
    *,
    using: str = "default",
    prepared: bool = False,
) -> list[M]:
    """Run ``sql`` — a statement whose rows hold every column of ``model`` in
    ``returning_columns`` order, such as ``… RETURNING {returning_columns(model)}`` —
    and return the rows as instances, converted as the ORM converts them.

    Cheaper than ``Manager.raw``, which maps the columns to fields again on every
    call; for statements run on every request. ``prepared``: through
    ``prepared_cursor`` (fixed SQL only, see there).
    """
    connection = connections[using]
    converters = _row_converters(model, using)
    names = [field.attname for field in model._meta.concrete_fields]
    with prepared_cursor(using) if prepared else connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    instances = []
    for row in rows:
        values = list(row)
        for index, functions, col in converters:
            for convert in functions:
                values[index] = convert(values[index], col, connection)
        instances.append(model.from_db(using, names, values))
    return instances


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


@cache
def _insert_or_read_suffix(
    model: type[Model], conflict: str | tuple[str, ...], on_conflict_update: str, using: str
) -> tuple[list[str], Q, str]:
    """``insert_or_read``'s conflict fields, partial-index condition and SQL suffix
    (`` ON CONFLICT (…) [WHERE …] DO … RETURNING …``): fixed per model, conflict and
    database, so written once (compiling the condition cost more than the insert's
    own SQL)."""
    connection = connections[using]
    fields, condition = _conflict_target(model, conflict)
    quote = connection.ops.quote_name
    target = ", ".join(quote(str(_column(model, name).column)) for name in fields)
    predicate = f" WHERE {_condition_sql(model, condition, using)}" if condition else ""
    action = f"DO UPDATE SET {on_conflict_update}" if on_conflict_update else "DO NOTHING"
    returning = returning_columns(model, using=using)
    return fields, condition, f" ON CONFLICT ({target}){predicate} {action} RETURNING {returning}"


def insert_or_read(
    instance: M,
    *,
    conflict: str | Sequence[str],
    on_conflict_update: str = "",
    using: str | None = None,
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
        on_conflict_update: ``SET …`` (and an optional ``WHERE …``) in SQL, run as
            ``DO UPDATE`` instead of ``DO NOTHING`` (``EXCLUDED`` names the values
            of ``instance``): the updated row comes back in the same statement,
            with ``created`` False; a row its ``WHERE`` leaves alone is read. Needs
            the instance's primary key set (a Python default such as uuid4).
        using: the database alias (default: the router's write database).

    The statement's text is fixed per model, columns and conflict, so it runs
    through ``prepared_cursor`` (parsed and planned once per connection where
    prepared statements are allowed).

    Returns: ``(row, created)``; ``created`` is whether the row returned is the
    one this statement inserted (its primary key).
    Raises: IntegrityError for any other constraint (CHECK, NOT NULL, foreign
    key): unlike SQLite's ``INSERT OR IGNORE``, ``DO NOTHING`` only skips the
    conflict named. RuntimeError when the blocking row disappeared on every try.
    """
    model = type(instance)
    using = using or router.db_for_write(model, instance=instance)
    meta = model._meta
    conflict_key = conflict if isinstance(conflict, str) else tuple(conflict)
    fields, condition, suffix = _insert_or_read_suffix(
        model, conflict_key, on_conflict_update, using
    )
    lookup: dict[str, Any] = {
        name: getattr(instance, _column(model, name).attname) for name in fields
    }
    manager = model._default_manager.db_manager(using)
    for _attempt in range(_INSERT_OR_READ_ATTEMPTS):
        sql, params = insert_sql(instance, using=using)
        rows = fetch_instances(model, sql + suffix, params, using=using, prepared=True)
        if rows:
            # DO NOTHING returns only a row it inserted; DO UPDATE also the one it
            # updated, told apart by the primary key this instance carries.
            return rows[0], not on_conflict_update or rows[0].pk == instance.pk
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
    statement = f"{sql} RETURNING {returning_columns(model, using=queryset.db)}"
    return fetch_instances(model, statement, params, using=queryset.db)
