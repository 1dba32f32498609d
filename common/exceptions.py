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


class QuotaExceededError(ApplicationError):
    """A usage budget is used up (HTTP 429). ``retry_after``: seconds; ``headers``:
    extra response headers (``RateLimit-Policy``, ``RateLimit``)."""

    code = "budget_exceeded"

    def __init__(
        self,
        message: str,
        *,
        retry_after: int,
        headers: dict[str, str] | None = None,
        code: str | None = None,
    ):
        super().__init__(message, code=code)
        self.retry_after = retry_after
        self.headers = headers or {}
