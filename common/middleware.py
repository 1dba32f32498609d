"""Request id, failed-request log, lazy message-storage and Content-Security-Policy
middleware."""

import logging
import re
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as _CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.messages.storage import default_storage
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty
from log_request_id.middleware import RequestIDMiddleware as _RequestIDMiddleware
from rest_framework.exceptions import APIException

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


request_logger = logging.getLogger("common.requests")

ExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None] | None
)

# Failures that are part of normal operation: the caller's mistake or a known
# outage. Database errors never get a traceback either: a psycopg error's message
# and traceback carry the statement's values (a DataError names the bad value).
_NO_TRACEBACK = (APIException, Http404, PermissionDenied, SuspiciousOperation, DatabaseError)


def request_failure_note(
    request: HttpRequest, exc: BaseException, *, exc_info: ExcInfo = None, expected: bool = False
) -> None:
    """Remember on ``request`` why it failed, for the one log line
    ``FailedRequestLogMiddleware`` writes. The traceback (``exc_info``) is kept
    only for the unexpected: not when ``expected`` (the API's error handler knew
    the exception), not for ``_NO_TRACEBACK`` classes, never when a database error
    is anywhere in the exception's chain."""
    if getattr(request, "_failure", None) is not None:
        return
    unexpected = not expected and not any(isinstance(link, _NO_TRACEBACK) for link in _chain(exc))
    request._failure = (type(exc).__name__, exc_info if unexpected else None)  # type: ignore[attr-defined]


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc`` and the exceptions it was raised from or during (a traceback prints
    them all, so a database error anywhere in the chain would leak its values)."""
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen


def note_uncaught_exception(
    sender: object, request: HttpRequest | None = None, **kwargs: Any
) -> None:
    """``got_request_exception`` receiver: the exception being handled right now."""
    exc_info = sys.exc_info()
    if request is not None and exc_info[1] is not None:
        request_failure_note(request, exc_info[1], exc_info=exc_info)


class FailedRequestLogMiddleware:
    """One log line per request answered 4xx/5xx, in logfmt::

        request_failed method=POST route=session/start status=503 error=OperationalError
        duration_ms=3012.4

    (plus the request id from the log format). ``route`` is the matched URL
    pattern, never the query string or a parameter's value; ``error`` the
    exception class (``-`` when the view answered the status itself). 5xx are
    ERROR, 4xx WARNING; a traceback follows only for an unexpected exception.
    Django's own ``django.request`` lines are switched off in the settings.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        if response.status_code >= 400:
            duration_ms = (time.perf_counter() - started) * 1000
            match = getattr(request, "resolver_match", None)
            route = match.route if match is not None and match.route else "<unmatched>"
            error, exc_info = getattr(request, "_failure", None) or ("-", None)
            fields = {
                "method": request.method,
                "route": route,
                "status": response.status_code,
                "error": error,
                "duration_ms": round(duration_ms, 1),
            }
            request_logger.log(
                logging.ERROR if response.status_code >= 500 else logging.WARNING,
                "request_failed " + " ".join(f"{k}={v}" for k, v in fields.items()),
                exc_info=exc_info,
                extra=fields,
            )
            response._has_been_logged = True  # type: ignore[attr-defined]  # logged: not again
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """A view raised: remember the class (Django turns it into the response)."""
        request_failure_note(request, exception, exc_info=sys.exc_info())


class LazyMessageMiddleware(MessageMiddleware):
    """Django's message middleware (the admin's "saved" notices), with the storage
    built on first use: Django builds it, a cookie signer included, for every
    request, and only the admin's pages ever use it (about 3 % of an API
    request's CPU). A request that never touched its messages leaves the response
    alone, as Django's would (an unused storage writes nothing)."""

    def process_request(self, request: HttpRequest) -> None:
        """``request._messages``: the storage, built when first used."""
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """Save the messages (Django's), unless the storage was never built."""
        messages = getattr(request, "_messages", None)
        if isinstance(messages, SimpleLazyObject) and messages._wrapped is empty:
            return response
        return super().process_response(request, response)


# What django-csp's decorators (csp_update, csp_replace, csp_exempt, …) set on a
# response to change its policy.
_CSP_RESPONSE_CHANGES = tuple(
    f"_csp_{change}{suffix}"
    for change in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)
_CSP_DEBUG_PAGES = (404, 500)  # django-csp leaves Django's debug pages alone


class CSPMiddleware(_CSPMiddleware):
    """django-csp's middleware, with the policy's header built once instead of for
    every response.

    An answer gets the settings' policy (``CONTENT_SECURITY_POLICY`` and
    ``CONTENT_SECURITY_POLICY_REPORT_ONLY``) unless a view changed it with one of
    django-csp's decorators or its page used ``request.csp_nonce``; django-csp
    builds that same string again for each response: about 50 µs, 4 % of a
    session restore's CPU. Here it is built once per settings object and set under
    django-csp's own conditions (not over a header already there, not on an
    excluded path prefix); a response a view changed, a request whose nonce was
    used and Django's debug pages go through django-csp's own code.
    """

    _built: tuple[object, object, tuple[tuple[str, str, tuple[str, ...]], ...]] | None = None

    def _settings_headers(self) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
        """``(header, value, excluded path prefixes)`` of each policy the settings
        define, rebuilt when a settings object is replaced (tests)."""
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built[0] is not enforced or built[1] is not report_only:
            headers = []
            for header, policy, is_report_only in (
                (HEADER, enforced, False),
                (HEADER_REPORT_ONLY, report_only, True),
            ):
                value = build_policy(report_only=is_report_only)
                if value:
                    prefixes = tuple((policy or {}).get("EXCLUDE_URL_PREFIXES") or ())
                    headers.append((header, value, prefixes))
            built = self._built = (enforced, report_only, tuple(headers))
        return built[2]

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        """Set the settings' policy headers (see the class), or defer to django-csp."""
        if (
            getattr(request, "_csp_nonce", None) is not None
            or any(hasattr(response, change) for change in _CSP_RESPONSE_CHANGES)
            or (settings.DEBUG and response.status_code in _CSP_DEBUG_PAGES)
        ):
            return super().process_response(request, response)
        for header, value, excluded in self._settings_headers():
            if header not in response and not request.path_info.startswith(excluded):
                response[header] = value
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response
