"""Record every 5xx answer (for the admin's error panel)."""

import logging
from collections.abc import Callable

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse

from admin_panel import services

logger = logging.getLogger(__name__)


class ServerErrorRecordMiddleware:
    """Write one ``admin_server_errors`` row per answer with status 500-599.

    The error's name is the exception's class when Django saw it raised, else the
    error code of our JSON error body (e.g. ``database_unavailable``). When the
    row cannot be written (the database is the thing that failed), the answer is
    sent unchanged and one warning is logged.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code >= 500:
            self._record(request, response)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        request._server_error_class = type(exception).__name__  # type: ignore[attr-defined]

    @staticmethod
    def _error_name(request: HttpRequest, response: HttpResponse) -> str:
        name = getattr(request, "_server_error_class", "")
        if name:
            return name
        data = getattr(response, "data", None)
        if isinstance(data, dict) and data.get("errors"):
            first = data["errors"][0]
            if isinstance(first, dict):
                return str(first.get("code") or "")
        return ""

    def _record(self, request: HttpRequest, response: HttpResponse) -> None:
        try:
            services.server_error_record(
                method=request.method or "",
                path=request.path,
                status_code=response.status_code,
                error_class=self._error_name(request, response),
                request_id=getattr(request, "id", "") or "",
            )
        except DatabaseError as exc:
            logger.warning("server error not recorded: %s", type(exc).__name__)
