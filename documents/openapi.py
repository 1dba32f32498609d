"""OpenAPI descriptions of the documents API's own error answers (413, 415, 429, 502),
in the project's JSON error format."""

from django.db import models
from drf_standardized_errors.openapi_serializers import ClientErrorEnum, ServerErrorEnum
from rest_framework import serializers


class ErrorCode413Enum(models.TextChoices):
    FILE_TOO_LARGE = "file_too_large"


class ErrorCode415Enum(models.TextChoices):
    UNSUPPORTED_FILE_TYPE = "unsupported_file_type"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"


class ErrorCode429Enum(models.TextChoices):
    BUDGET_EXCEEDED = "budget_exceeded"


class ErrorCode502Enum(models.TextChoices):
    OPENAI_UNAVAILABLE = "openai_unavailable"
    OPENAI_NOT_CONFIGURED = "openai_not_configured"


def _error_serializers(name: str, code_enum, type_enum, doc: str):
    error = type(
        f"DocumentError{name}Serializer",
        (serializers.Serializer,),
        {
            "code": serializers.ChoiceField(choices=code_enum.choices),
            "detail": serializers.CharField(),
            "attr": serializers.CharField(allow_null=True),
        },
    )
    return type(
        f"DocumentErrorResponse{name}Serializer",
        (serializers.Serializer,),
        {
            "__doc__": doc,
            "type": serializers.ChoiceField(choices=type_enum.choices),
            "errors": error(many=True),
        },
    )


ErrorResponse413Serializer = _error_serializers(
    "413", ErrorCode413Enum, ClientErrorEnum, "413: the file is larger than DOCUMENT_MAX_BYTES."
)
ErrorResponse415Serializer = _error_serializers(
    "415",
    ErrorCode415Enum,
    ClientErrorEnum,
    "415: the file's extension or content is not an allowed format, or the body is not "
    "multipart/form-data.",
)
ErrorResponse429Serializer = _error_serializers(
    "429",
    ErrorCode429Enum,
    ClientErrorEnum,
    "429: a usage budget of the uploader is used up; nothing was sent to OpenAI. "
    "Retry-After gives the seconds until the budget allows calls again.",
)
ErrorResponse502Serializer = _error_serializers(
    "502",
    ErrorCode502Enum,
    ServerErrorEnum,
    "502: OpenAI failed, timed out or could not be reached (or is not configured); the "
    "detail says which. Nothing is left half-done; retry later.",
)
