"""The one place that builds the OpenAI client and turns its errors into ours.

Calls go through the official ``openai`` SDK: ``client.files`` (upload, delete)
and ``client.vector_stores.files`` (attach with attributes, retrieve, list,
detach). ``OPENAI_BASE_URL`` points the SDK at another server that speaks the
same API (the test suite's stand-in, a proxy). The SDK retries connection
errors, 408, 409, 429 and 5xx ``OPENAI_MAX_RETRIES`` times with back-off, each
attempt bounded by ``OPENAI_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

from documents.exceptions import OpenAIUnavailable

if TYPE_CHECKING:
    import openai


@lru_cache(maxsize=4)
def _client(api_key: str, base_url: str | None, timeout: float, max_retries: int) -> openai.OpenAI:
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    return openai.OpenAI(
        api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
    )


def openai_client() -> openai.OpenAI:
    """The SDK client for the current settings (one per configuration, reused:
    it keeps its HTTP connections open).

    Raises: OpenAIUnavailable (code ``openai_not_configured``) without
    ``OPENAI_API_KEY``.
    """
    if not settings.OPENAI_API_KEY:
        raise OpenAIUnavailable(
            "OpenAI is not configured (OPENAI_API_KEY is empty).", code="openai_not_configured"
        )
    return _client(
        settings.OPENAI_API_KEY,
        settings.OPENAI_BASE_URL,
        settings.OPENAI_TIMEOUT_SECONDS,
        settings.OPENAI_MAX_RETRIES,
    )


def configured_vector_store_id() -> str:
    """``OPENAI_VECTOR_STORE_ID``.

    Raises: OpenAIUnavailable (code ``openai_not_configured``) when it is empty.
    """
    if not settings.OPENAI_VECTOR_STORE_ID:
        raise OpenAIUnavailable(
            "OpenAI is not configured (OPENAI_VECTOR_STORE_ID is empty).",
            code="openai_not_configured",
        )
    return settings.OPENAI_VECTOR_STORE_ID


def openai_error_describe(exc: openai.OpenAIError) -> str:
    """One line saying what went wrong with an OpenAI call, for ``last_error``, the
    API's 502 body and logs: the HTTP status and OpenAI's own message, or the
    connection failure. Never the request or the key."""
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    if isinstance(exc, openai.APITimeoutError):
        return "OpenAI did not answer in time."
    if isinstance(exc, openai.APIConnectionError):
        return "OpenAI could not be reached."
    if isinstance(exc, openai.APIStatusError):
        message = exc.message or ""
        body = exc.body
        if isinstance(body, dict) and isinstance(body.get("message"), str):
            message = body["message"]  # the SDK passes OpenAI's ``error`` object
        return f"OpenAI answered {exc.status_code}: {message[:500]}"
    return f"OpenAI call failed: {type(exc).__name__}."


def openai_unavailable(exc: openai.OpenAIError) -> OpenAIUnavailable:
    """The domain error for a failed OpenAI call (raise it ``from exc``)."""
    return OpenAIUnavailable(openai_error_describe(exc))
