"""Pagination of every list: cursor pages (stable under inserts, one indexed query
per page, no COUNT).

A list answers ``{next, previous, results}``; ``?page_size=`` (1-200, default 50)
sets the page length and ``next`` / ``previous`` are full URLs carrying
``?cursor=``. Each list picks its order with ``cursor_pagination(*ordering)``;
the ordering must end on a unique column (or be a timestamp the list's index
serves) so that pages neither skip nor repeat rows.

A cursor is opaque to callers but travels through their hands: one that is not
base64 of DRF's ``o``/``r``/``p`` fields, or whose position is not a value of the
ordering column the database can compare (a date-time with a UTC offset of
±16:00 or more, a NUL character, …), is a 400 naming ``cursor``.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from common.datetimes import datetime_storable_error

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _invalid_cursor(detail: str = "Invalid cursor: use a next or previous link as given.") -> Any:
    return ValidationError({"cursor": [detail]}, code="invalid")


class CursorPage(CursorPagination):
    """DRF's cursor pagination with the project's page sizes, whose cursors are
    checked before their position reaches a query."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    _model: type[Model] | None = None

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        """One page of ``queryset``; raises ValidationError (400, ``cursor``) for a
        cursor that is not one of ours."""
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        """DRF's decoding, with 400 instead of 404 for a malformed cursor, and the
        position parsed as the ordering column's value."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise _invalid_cursor() from None
        if cursor is None or cursor.position is None:
            return cursor
        position = str(cursor.position)
        if "\x00" in position:
            raise _invalid_cursor()
        ordering = self.ordering if isinstance(self.ordering, str) else self.ordering[0]
        if self._model is not None:
            field: Any = self._model._meta.get_field(ordering.lstrip("-"))
            try:
                value = field.to_python(position)
            except DjangoValidationError:
                raise _invalid_cursor() from None
            if isinstance(value, datetime) and datetime_storable_error(value) is not None:
                raise _invalid_cursor()
        return cursor


def cursor_pagination(*ordering: str) -> type[CursorPage]:
    """A ``CursorPage`` class ordered by ``ordering`` (e.g. ``"-started_at", "-id"``),
    for a view's ``pagination_class``."""
    name = "CursorPage_" + "_".join(o.replace("-", "desc_") for o in ordering)
    return type(name, (CursorPage,), {"ordering": ordering if len(ordering) > 1 else ordering[0]})
