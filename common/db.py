"""Database helpers that keep a read-and-write in one SQL statement."""

from typing import TypeVar

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.sql import UpdateQuery

M = TypeVar("M", bound=Model)

# The largest value of an INTEGER column (PostgreSQL's 32-bit ``integer``, which
# Django's IntegerField and PositiveIntegerField map to).
INTEGER_MAX = 2**31 - 1


def update_returning(queryset: QuerySet[M], **values) -> list[M]:
    """Update the rows of ``queryset`` and return them as they are after the update.

    Runs ``UPDATE <table> SET <values> WHERE <queryset's filter> RETURNING <columns>``
    as one statement (PostgreSQL, and SQLite 3.35+), so no other transaction can
    change a row between the read and the write. ``values`` are what
    ``QuerySet.update`` takes: plain values or expressions such as ``F("n") + 1``.

    Returns: the updated instances (an empty list when nothing matched).
    """
    model = queryset.model
    query = queryset.query.chain(UpdateQuery)
    query.add_update_values(values)
    sql, params = query.get_compiler(queryset.db).as_sql()
    if not sql:
        return []
    quote = connections[queryset.db].ops.quote_name
    columns = ", ".join(quote(field.column) for field in model._meta.concrete_fields)
    statement = f"{sql} RETURNING {columns}"
    return list(model._default_manager.db_manager(queryset.db).raw(statement, params))
