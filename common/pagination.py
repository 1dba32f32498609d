"""Pagination of every list: cursor pages (stable under inserts, one indexed query
per page, no COUNT).

A list answers ``{next, previous, results}``; ``?page_size=`` (1-200, default 50)
sets the page length and ``next`` / ``previous`` are full URLs carrying
``?cursor=``. Each list picks its order with ``cursor_pagination(*ordering)``;
the ordering must end on a unique column (or be a timestamp the list's index
serves) so that pages neither skip nor repeat rows.
"""

from rest_framework.pagination import CursorPagination

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class CursorPage(CursorPagination):
    """DRF's cursor pagination with the project's page sizes."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


def cursor_pagination(*ordering: str) -> type[CursorPage]:
    """A ``CursorPage`` class ordered by ``ordering`` (e.g. ``"-started_at", "-id"``),
    for a view's ``pagination_class``."""
    name = "CursorPage_" + "_".join(o.replace("-", "desc_") for o in ordering)
    return type(name, (CursorPage,), {"ordering": ordering if len(ordering) > 1 else ordering[0]})
