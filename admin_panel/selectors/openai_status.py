"""Is OpenAI configured and reachable? A cheap call, cached, never on the page's path.

The probe lists models (``GET /models``, no tokens billed) with the official SDK,
a short timeout and no retries. Pages call ``openai_status()``, which only reads
the cache: when the last result is older than ``FRESH_SECONDS`` (or missing) it
starts one probe in a background thread and answers with what it has (the last
result, or ``checking``), so a hanging OpenAI never holds the admin page.
"""

import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

CACHE_KEY = "admin_panel:openai_status"
FRESH_SECONDS = 60
KEEP_SECONDS = 3600  # a stale result is still shown (with its time) while a new probe runs

_probe_lock = threading.Lock()
_probe_running = threading.Event()


@dataclass(frozen=True)
class OpenAIStatus:
    """``state``: ``not_configured``, ``checking``, ``reachable`` or ``unreachable``.
    ``checked_at`` (UTC) and ``latency_ms`` of the probe; ``error``: why unreachable
    (the SDK error's class and HTTP status, never a key)."""

    state: str
    checked_at: datetime | None = None
    latency_ms: float | None = None
    error: str = ""

    @property
    def configured(self) -> bool:
        return self.state != "not_configured"


def openai_status(*, now: datetime | None = None) -> OpenAIStatus:
    """The last probe's result from the cache; starts a background probe when it is
    older than ``FRESH_SECONDS``. Never waits on the network."""
    if not settings.OPENAI_API_KEY:
        return OpenAIStatus("not_configured")
    now = now or timezone.now()
    cached: OpenAIStatus | None = cache.get(CACHE_KEY)
    if (
        cached is None
        or cached.checked_at is None
        or (now - cached.checked_at > timedelta(seconds=FRESH_SECONDS))
    ):
        _probe_in_background()
    return cached or OpenAIStatus("checking")


def _probe_in_background() -> None:
    with _probe_lock:
        if _probe_running.is_set():
            return
        _probe_running.set()

    def run() -> None:
        try:
            openai_probe()
        finally:
            _probe_running.clear()

    threading.Thread(target=run, name="openai-health-probe", daemon=True).start()


def openai_probe() -> OpenAIStatus:
    """Call ``GET /models`` once (timeout ``OPENAI_HEALTH_TIMEOUT_SECONDS``, no retry),
    cache and return the result. Blocks up to the timeout: call it off the request path."""
    import openai  # on first use: the SDK costs each process ≈ 18 MB

    client = openai.OpenAI(
        api_key=settings.OPENAI_API_KEY,
        base_url=settings.OPENAI_BASE_URL,
        timeout=settings.OPENAI_HEALTH_TIMEOUT_SECONDS,
        max_retries=0,
    )
    started = time.perf_counter()
    try:
        client.models.list()
    except openai.APIStatusError as exc:
        status = OpenAIStatus(
            "unreachable", timezone.now(), None, f"{type(exc).__name__} (HTTP {exc.status_code})"
        )
    except openai.APIError as exc:
        status = OpenAIStatus("unreachable", timezone.now(), None, type(exc).__name__)
    else:
        latency = round((time.perf_counter() - started) * 1000, 1)
        status = OpenAIStatus("reachable", timezone.now(), latency)
    finally:
        client.close()
    cache.set(CACHE_KEY, status, KEEP_SECONDS)
    return status
