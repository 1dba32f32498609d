"""OpenAPI descriptions of the documents API's own error answers (413, 415, 429, 502),
in the project's JSON error format."""

from django.db import models

from common.openapi import error_body_serializer


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


ErrorResponse413Serializer = error_body_serializer(
    413, ErrorCode413Enum, "413: the file is larger than DOCUMENT_MAX_BYTES.", prefix="Document"
)
ErrorResponse415Serializer = error_body_serializer(
    415,
    ErrorCode415Enum,
    "415: the file's extension or content is not an allowed format, or the body is not "
    "multipart/form-data.",
    prefix="Document",
)
ErrorResponse429Serializer = error_body_serializer(
    429,
    ErrorCode429Enum,
    "429: a usage budget of the uploader is used up; nothing was sent to OpenAI. "
    "Retry-After gives the seconds until the budget allows calls again.",
    prefix="Document",
)
ErrorResponse502Serializer = error_body_serializer(
    502,
    ErrorCode502Enum,
    "502: OpenAI failed, timed out or could not be reached (or is not configured); the "
    "detail says which. Nothing is left half-done; retry later.",
    server_error=True,
    prefix="Document",
)
