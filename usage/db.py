"""Multi-row inserts that skip rows whose unique key is already taken and say which
rows they wrote (``INSERT … ON CONFLICT (<key>) DO NOTHING RETURNING <pk>``)."""

import uuid
from collections.abc import Sequence

from django.db import connection
from django.db.models import Model


def insert_new_rows(*, objs: Sequence[Model], conflict: Sequence[str]) -> set:
    """Insert ``objs`` (unsaved, primary keys set or left to the database) and return
    the primary keys of the rows actually written.

    PostgreSQL: one ``INSERT … SELECT * FROM unnest(<one array per column>) ON
    CONFLICT (<conflict columns>) DO NOTHING RETURNING <pk>`` whatever the number of
    rows (a handful of parameters to bind, not one per value). SQLite 3.35+: ``INSERT
    … VALUES (…), (…) …`` per batch its parameter limit allows.

    The conflict target is named, so a CHECK or NOT NULL violation still raises
    (SQLite's ``INSERT OR IGNORE`` would drop such a row silently); a concurrent
    insert of the same key waits for the other transaction, then does nothing. An
    auto-increment primary key is left to the database.

    Args: ``conflict``: the column names of one unique constraint.
    Returns: the written rows' primary keys (UUIDs as ``uuid.UUID``).
    """
    if not objs:
        return set()
    model = type(objs[0])
    meta = model._meta
    pk = meta.pk
    auto_pk = pk.get_internal_type() in {"AutoField", "BigAutoField", "SmallAutoField"}
    fields = [f for f in meta.concrete_fields if not (auto_pk and f is pk)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    suffix = (
        f" ON CONFLICT ({', '.join(quote(c) for c in conflict)}) DO NOTHING"
        f" RETURNING {quote(pk.column)}"
    )
    is_uuid = pk.get_internal_type() == "UUIDField"
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
        values = [
            [f.get_db_prep_save(getattr(obj, f.attname), connection) for obj in objs]
            for f in fields
        ]
        # Identifiers and types come from the model; every value is a parameter.
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql + suffix, values)
            return {row[0] for row in cursor.fetchall()}
    batch = max(1, connection.ops.bulk_batch_size(fields, list(objs)))
    written: set = set()
    with connection.cursor() as cursor:
        for i in range(0, len(objs), batch):
            chunk = objs[i : i + batch]
            params = [
                f.get_db_prep_save(getattr(obj, f.attname), connection)
                for obj in chunk
                for f in fields
            ]
            # Identifiers come from the model (quoted); every value is a parameter.
            values = ", ".join([row_sql] * len(chunk))
            sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}{suffix}"  # noqa: S608
            cursor.execute(sql, params)
            for (value,) in cursor.fetchall():
                if is_uuid and not isinstance(value, uuid.UUID):
                    value = uuid.UUID(str(value))
                written.add(value)
    return written
