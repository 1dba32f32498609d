"""OpenAPI schema generation: the JSON error responses of every operation.

Security schemes come from the authentication classes' extensions
(``common.authentication``, ``sessions_app.authentication``)."""

from django.db import models
from drf_standardized_errors.openapi import AutoSchema as _AutoSchema
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from rest_framework import serializers

from common import errors


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


class Error413Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ErrorCode413Enum.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse413Serializer(serializers.Serializer):
    """413: the body is larger than ``REQUEST_BODY_MAX_BYTES``."""

    type = serializers.ChoiceField(choices=ClientErrorEnum.choices)
    errors = Error413Serializer(many=True)  # type: ignore[assignment]


class Error503Serializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ErrorCode503Enum.choices)
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ErrorResponse503Serializer(serializers.Serializer):
    """503: the database (or Supabase's key endpoint) did not answer; nothing was
    written, retry later."""

    type = serializers.ChoiceField(choices=ServerErrorEnum.choices)
    errors = Error503Serializer(many=True)  # type: ignore[assignment]
