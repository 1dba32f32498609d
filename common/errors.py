"""One JSON error format for every 4xx/5xx the API answers.

The format is drf-standardized-errors' (its OpenAPI components describe it)::

    {"type": "validation_error" | "client_error" | "server_error",
     "errors": [{"code": "required", "detail": "This field is required.", "attr": "phone"}]}

``attr`` names the field for validation errors (nested fields joined with
``.``) and is null otherwise. The response's ``X-Request-ID`` header matches
the request id in the log line of the error.
"""

import sys
from typing import Any

from django.core import signals
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from drf_standardized_errors.handler import ExceptionHandler as _ExceptionHandler
from rest_framework import status
from rest_framework.exceptions import (
    APIException,
    AuthenticationFailed,
    ErrorDetail,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    Throttled,
)
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response

from common.exceptions import ConflictError, NotFoundError, QuotaExceededError
from common.middleware import request_failure_note
from common.parsers import RequestBodyTooLarge
from common.throttling import throttle_refused_request


class DatabaseUnavailable(APIException):
    """503: the database did not answer; nothing was written."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database is unavailable; nothing was written. Retry later."
    default_code = "database_unavailable"


class Conflict(APIException):
    """409: the request conflicts with the current state."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "Conflict."
    default_code = "conflict"


class TooManyRequests(APIException):
    """429: a usage budget is used up. ``wait`` becomes ``Retry-After`` (seconds);
    ``headers`` are added to the response (RateLimit-Policy, RateLimit)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_detail = "A usage budget is used up."
    default_code = "budget_exceeded"

    def __init__(
        self,
        detail: str | None = None,
        code: str | None = None,
        *,
        wait: int = 0,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(detail, code)
        self.wait = wait
        self.headers = headers or {}


DATABASE_REFUSED_VALUE = "database_refused_value"


def database_refused_value(request: Any) -> DRFValidationError:
    """400 for a value the database refused (a ``DataError``: out of range, malformed)
    that validation let through. Every value a caller sends is validated first; this
    is the backstop. A GET's only input is its query string, so each query parameter
    sent is named (its value is never echoed, nor logged); otherwise the body."""
    names = sorted(getattr(request, "query_params", {}) or {}) if request is not None else []
    detail = "The database refused this value (out of range or malformed)."
    if getattr(request, "method", None) not in ("GET", "HEAD") or not names:
        names = ["non_field_errors"]
    return DRFValidationError(
        {name: [ErrorDetail(detail, code=DATABASE_REFUSED_VALUE)] for name in names}
    )


class ExceptionHandler(_ExceptionHandler):
    """drf-standardized-errors' handler, extended with the service layer's errors:
    Django ValidationError → 400 naming the field, NotFoundError → 404,
    ConflictError → 409, QuotaExceededError → 429 with ``Retry-After`` and its
    headers, a value the database refused (``DataError``) → 400 naming the query
    parameters, a lost database → 503, and Django's own body-size check
    (``DATA_UPLOAD_MAX_MEMORY_SIZE``, set to ``REQUEST_BODY_MAX_BYTES``) → 413."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DataError):
            return database_refused_value(self.context.get("request"))
        if isinstance(exc, DjangoValidationError):
            return DRFValidationError(detail=get_error_detail(exc))
        if isinstance(exc, NotFoundError):
            return NotFound(exc.message, code=exc.code)
        if isinstance(exc, ConflictError):
            return Conflict(exc.message, code=exc.code)
        if isinstance(exc, QuotaExceededError):
            return TooManyRequests(
                exc.message, code=exc.code, wait=exc.retry_after, headers=exc.headers
            )
        if isinstance(exc, OperationalError | InterfaceError):
            return DatabaseUnavailable()
        if isinstance(exc, RequestDataTooBig):
            return RequestBodyTooLarge()
        return super().convert_known_exceptions(exc)

    def get_headers(self, exc: APIException) -> dict:
        headers = super().get_headers(exc)
        headers.update(getattr(exc, "headers", None) or {})
        return headers

    def report_exception(self, exc: APIException, response: Response) -> None:
        """Note the original exception for the request's one log line
        (``common.middleware.FailedRequestLogMiddleware``) instead of the library's
        ``django.request`` line with a traceback per 5xx (a database outage made one
        per request, and a DataError's traceback carries the statement's values).
        Error trackers still hear of the unexpected through ``got_request_exception``."""
        drf_request = self.context.get("request")
        request = getattr(drf_request, "_request", None)
        if request is None:
            return
        known = isinstance(self.convert_known_exceptions(self.exc), APIException)
        request_failure_note(request, self.exc, exc_info=sys.exc_info(), expected=known)
        if request._failure[1] is not None:  # unexpected: a traceback is kept
            signals.got_request_exception.send(sender=None, request=request)


def exception_handler(exc: Exception, context: Any) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: format ``exc`` as the JSON error body above.

    A request refused at authentication or permission (401/403) still counts
    against its caller's rate limit (DRF checks throttles only after both), so
    guessing keys or tokens is throttled too: once the bucket is spent the answer
    is 429 with ``Retry-After``."""
    if isinstance(exc, NotAuthenticated | AuthenticationFailed | PermissionDenied):
        wait = throttle_refused_request(context.get("request"), context.get("view"))
        if wait is not None:
            exc = Throttled(wait)
    return ExceptionHandler(exc, context).run()


def error_body(error_type: str, code: str, detail: str, attr: str | None = None) -> dict[str, Any]:
    """Build an error body in the format above with a single error."""
    return {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": attr}]}


def _is_admin(request: HttpRequest) -> bool:
    return request.path.startswith("/admin/")


def bad_request(
    request: HttpRequest, exception: Exception, template_name: str = "400.html"
) -> HttpResponse:
    """``handler400``: JSON outside the admin."""
    if _is_admin(request):
        return defaults.bad_request(request, exception)
    body = error_body("client_error", "bad_request", "Bad request.")
    return JsonResponse(body, status=400)


def permission_denied(
    request: HttpRequest, exception: Exception, template_name: str = "403.html"
) -> HttpResponse:
    """``handler403``: JSON outside the admin."""
    if _is_admin(request):
        return defaults.permission_denied(request, exception)
    body = error_body("client_error", "permission_denied", "Permission denied.")
    return JsonResponse(body, status=403)


def page_not_found(
    request: HttpRequest, exception: Exception, template_name: str = "404.html"
) -> HttpResponse:
    """``handler404``: JSON outside the admin."""
    if _is_admin(request):
        return defaults.page_not_found(request, exception)
    return JsonResponse(error_body("client_error", "not_found", "Not found."), status=404)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: JSON outside the admin; never leaks the exception."""
    if _is_admin(request):
        return defaults.server_error(request)
    body = error_body("server_error", "error", "Server Error (500)")
    return JsonResponse(body, status=500)
