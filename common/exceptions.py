"""Domain errors raised by services and selectors; the API maps them to 4xx."""


class ApplicationError(Exception):
    """Base class. ``code`` is the machine-readable error code of the JSON body."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFoundError(ApplicationError):
    """The thing asked for does not exist for this caller (HTTP 404)."""

    code = "not_found"


class ConflictError(ApplicationError):
    """The request conflicts with the current state (HTTP 409)."""

    code = "conflict"
