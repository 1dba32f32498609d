"""OpenAPI schema generation: the JSON error responses of every operation.

Security schemes come from the authentication classes' extensions
(``common.authentication``, ``sessions_app.authentication``)."""

from typing import Any

from django.db import models
from drf_spectacular.utils import OpenApiResponse
from drf_standardized_errors.openapi import AutoSchema as _AutoSchema
from drf_standardized_errors.openapi_serializers import (
    ClientErrorEnum,
    ServerErrorEnum,
    ValidationErrorEnum,
)
from rest_framework import serializers

from common import errors
from common.authentication import SessionTokenAuthentication
from common.pagination import CursorPage


class AutoSchema(_AutoSchema):
    """drf-standardized-errors' schema, documenting the JSON error bodies of
    ``common.errors`` on every operation.

    The library documents errors only for views using its own exception handler;
    ``common.errors.exception_handler`` extends that handler, so the same rules
    apply, plus 413 (body too large) wherever a JSON body is parsed and 503
    (database unavailable) everywhere.
    """

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        # The library's dispatch, accepting our handler where it wants its own.
        if status_code in responses or self.view.get_exception_handler() is not (
            errors.exception_handler
        ):
            return False
        if status_code == "400":
            return (
                self._should_add_parse_error_response()
                or self._should_add_validation_error_response()
            )
        check = getattr(self, f"_should_add_http{status_code}_error_response", None)
        return check() if check else True  # 503: every operation

    def _should_add_http413_error_response(self) -> bool:
        return self._should_add_parse_error_response()

    def _should_add_validation_error_response(self) -> bool:
        # Also: a cursor-paginated list (a bad ``cursor``), query parameters parsed
        # by a serializer, and the customer routes (a missing X-Session-Token).
        return (
            super()._should_add_validation_error_response()
            or isinstance(self._get_paginator(), CursorPage)
            or any(p["in"] == "query" for p in self._get_parameters())
            or self._takes_customer_token()
        )

    def _get_response_headers_for_code(
        self, status_code: str, direction: str = "response"
    ) -> dict[str, Any]:
        """``Retry-After`` (seconds) on 429; ``WWW-Authenticate`` on 401 where the
        operation takes signed-in users (elsewhere a refused Bearer token still
        carries it, RFC 6750)."""
        headers: dict[str, Any] = super()._get_response_headers_for_code(status_code, direction)
        if status_code == "429":
            headers["Retry-After"] = {
                "schema": {"type": "integer", "minimum": 0},
                "description": "seconds until the caller's rate-limit window ends",
                "required": True,
            }
        elif status_code == "401":
            headers["WWW-Authenticate"] = {
                "schema": {"type": "string"},
                "description": 'Bearer, or Bearer error="invalid_token", error_description="…"',
            }
        return headers

    def _takes_customer_token(self) -> bool:
        return any(
            isinstance(a, SessionTokenAuthentication) for a in self.view.get_authenticators()
        )

    def _get_serializer_for_validation_error_response(self) -> Any:
        """One validation-error body for every operation: ``attr`` names the field,
        query parameter or header, ``code`` says why. The fields' own codes are listed
        in the description (services add codes of their own, e.g. ``not_found``,
        ``out_of_range``, ``database_refused_value``)."""
        return ApiValidationErrorResponseSerializer

    def _should_add_parse_error_response(self) -> bool:
        # Only a request body is parsed; a GET never answers parse_error or 413.
        return (
            self.method in ("POST", "PUT", "PATCH") and super()._should_add_parse_error_response()
        )


class ErrorCode413Enum(models.TextChoices):
    REQUEST_TOO_LARGE = "request_too_large"


class ErrorCode503Enum(models.TextChoices):
    DATABASE_UNAVAILABLE = "database_unavailable"
    MIGRATIONS_PENDING = "migrations_pending"  # GET /readyz only
    AUTH_UNAVAILABLE = "auth_unavailable"


class ErrorCode401Enum(models.TextChoices):
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    INVALID_TOKEN = "invalid_token"  # noqa: S105 (RFC 6750: a refused Bearer token)


class ErrorCode403Enum(models.TextChoices):
    PERMISSION_DENIED = "permission_denied"
    # No credentials where no challenge applies (an X-API-Key route): 403, not 401.
    NOT_AUTHENTICATED = "not_authenticated"


class ErrorCode404Enum(models.TextChoices):
    NOT_FOUND = "not_found"
    SESSION_NOT_FOUND = "session_not_found"
    AI_SESSION_NOT_FOUND = "ai_session_not_found"
    DOCUMENT_NOT_FOUND = "document_not_found"


class ErrorCode429Enum(models.TextChoices):
    THROTTLED = "throttled"  # the caller's rate limit (common.throttling)
    BUDGET_EXCEEDED = "budget_exceeded"  # a usage budget is used up


class ErrorCode409Enum(models.TextChoices):
    CONFLICT = "conflict"
    SESSION_ID_TAKEN = "session_id_taken"
    SESSION_ENDED = "session_ended"
    DUPLICATE_REQUEST_ID = "duplicate_request_id"
    DOCUMENT_DELETED = "document_deleted"


def error_body_serializer(
    status: int,
    codes: type[models.TextChoices],
    doc: str,
    *,
    prefix: str = "",
    server_error: bool = False,
) -> type[serializers.Serializer]:
    """The serializer class documenting one error answer in the project's JSON error
    format: ``{"type": "client_error"|"server_error", "errors": [{"code", "detail",
    "attr"}]}`` with ``code`` one of ``codes``, for HTTP ``status``. The OpenAPI
    component names are ``<prefix>Error<status>`` (one error) and
    ``<prefix>ErrorResponse<status>`` (the body)."""
    error = type(
        f"{prefix}Error{status}Serializer",
        (serializers.Serializer,),
        {
            "code": serializers.ChoiceField(choices=codes.choices),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
    )
    kinds = ServerErrorEnum if server_error else ClientErrorEnum
    return type(
        f"{prefix}ErrorResponse{status}Serializer",
        (serializers.Serializer,),
        {
            "__doc__": doc,
            "type": serializers.ChoiceField(choices=kinds.choices),
            "errors": error(many=True),
        },
    )


ErrorResponse413Serializer = error_body_serializer(
    413, ErrorCode413Enum, "413: the body is larger than ``REQUEST_BODY_MAX_BYTES``."
)
ErrorResponse503Serializer = error_body_serializer(
    503,
    ErrorCode503Enum,
    "503: the database (or Supabase's key endpoint) did not answer; nothing was "
    "written, retry later.",
    server_error=True,
)
ErrorResponse401Serializer = error_body_serializer(
    401,
    ErrorCode401Enum,
    "401: no or a refused Bearer token; ``WWW-Authenticate: Bearer`` (with "
    '``error="invalid_token"`` for a refused one, RFC 6750) says which.',
    prefix="Api",
)
ErrorResponse403Serializer = error_body_serializer(
    403, ErrorCode403Enum, "403: these credentials may not call this operation.", prefix="Api"
)
ErrorResponse404Serializer = error_body_serializer(
    404, ErrorCode404Enum, "404: no such resource.", prefix="Api"
)
ErrorResponse429Serializer = error_body_serializer(
    429,
    ErrorCode429Enum,
    "429: the caller's rate limit (``throttled``) or a usage budget "
    "(``budget_exceeded``) is spent; ``Retry-After`` says when to retry.",
    prefix="Api",
)
ErrorResponse409Serializer = error_body_serializer(
    409, ErrorCode409Enum, "409: the request conflicts with the stored state.", prefix="Api"
)


class ApiValidationErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. required, invalid, invalid_choice, not_found")
    detail = serializers.CharField()
    attr = serializers.CharField(
        allow_null=True,
        help_text="the field (nested ones joined with '.'), query parameter or header",
    )


class ApiValidationErrorResponseSerializer(serializers.Serializer):
    """400: a field, query parameter or header is missing or bad; nothing was written."""

    type = serializers.ChoiceField(choices=ValidationErrorEnum.choices)
    errors = ApiValidationErrorSerializer(many=True)  # type: ignore[assignment]


def error_response(status: int, description: str) -> OpenApiResponse:
    """An error answer for ``@extend_schema(responses=...)`` with the project's body
    for ``status`` (401, 403, 404 or 409) and ``description``."""
    bodies = {
        401: ErrorResponse401Serializer,
        403: ErrorResponse403Serializer,
        404: ErrorResponse404Serializer,
        409: ErrorResponse409Serializer,
    }
    return OpenApiResponse(response=bodies[status], description=description)
