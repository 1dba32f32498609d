"""Errors of the documents services; ``documents.apis`` turns each into its HTTP
status with the project's JSON error body."""

from common.exceptions import ApplicationError


class DocumentTooLarge(ApplicationError):
    """The file is larger than ``DOCUMENT_MAX_BYTES`` (HTTP 413)."""

    code = "file_too_large"


class DocumentTypeNotAllowed(ApplicationError):
    """The file's extension or content is not an allowed format (HTTP 415)."""

    code = "unsupported_file_type"


class DocumentPermissionDenied(ApplicationError):
    """The caller may read the document but not do this to it (HTTP 403)."""

    code = "permission_denied"


class OpenAIUnavailable(ApplicationError):
    """OpenAI failed, timed out or could not be reached, or is not configured
    (HTTP 502). ``message`` says which; it never contains the API key."""

    code = "openai_unavailable"
