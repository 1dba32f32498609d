"""Request id middleware."""

import re

from django.http import HttpRequest
from log_request_id.middleware import RequestIDMiddleware as _RequestIDMiddleware

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIDMiddleware(_RequestIDMiddleware):
    """django-log-request-id's middleware, keeping a caller's ``X-Request-ID`` only
    when it is short and plain (letters, digits, ``._:-``); anything else is
    replaced by a fresh id so a header cannot forge log lines."""

    def _get_request_id(self, request: HttpRequest) -> str:
        candidate = request.META.get(self.request_id_header or "", "")
        if candidate and _SAFE_REQUEST_ID.match(candidate):
            return candidate
        return self._generate_id()
