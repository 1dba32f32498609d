"""Rate limits per caller, on a cache every worker shares.

``CallerRateThrottle`` (the project's ``DEFAULT_THROTTLE_CLASSES``) counts a
caller's requests in fixed windows and answers 429 with ``Retry-After`` (seconds
until the window ends) and the JSON error body (code ``throttled``) once the
caller's rate is spent. One bucket per caller:

| caller | bucket | rate setting (DRF's ``N/period`` syntax) |
| --- | --- | --- |
| channel / service client (``X-API-Key``) | the key | ``THROTTLE_RATE_API_KEY`` |
| customer (``X-Session-Token``) | the token (its SHA-256) | ``THROTTLE_RATE_CUSTOMER`` |
| signed-in user (Bearer), staff (admin session) | the user id | ``THROTTLE_RATE_USER`` |
| no credentials | the client IP (``common.client_ip``) | ``THROTTLE_RATE_ANON`` |

Why not DRF's ``SimpleRateThrottle``: it reads a list of request times, trims it
and writes it back (two cache round trips, and two workers can both read the
old list and lose a request). Here each check is ONE round trip that increments
atomically and sets the expiry:

- Redis (``REDIS_URL``): one ``EVAL`` of a short script that runs ``INCR key``,
  sets the window's expiry on the window's first request (or on a key found
  without one) and returns the count with ``PTTL key`` — atomic on the server.
  The client object is built once per cache connection (Django's Redis cache
  builds a new ``redis.Redis`` for every call, which cost more CPU than the
  round trip);
- the database cache (``django_cache``, the default): one
  ``INSERT … ON CONFLICT (cache_key) DO UPDATE … RETURNING`` that starts a new
  window when the stored one has ended (PostgreSQL, and SQLite 3.35+);
- any other cache backend (a local-memory one in a test): ``add`` + ``incr``.

When Redis does not answer (1 s connect and socket timeouts), requests are
served without a check and a warning is logged: the limit is protection, not a
dependency the API should go down with.

Requests DRF refuses at authentication or permission (401/403) are answered
before throttles run (DRF's order); ``common.errors`` counts them in the
caller's bucket too, so guessing credentials from one IP is throttled as well.
"""

import hashlib
import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import connections, router
from django.utils.dateparse import parse_datetime
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from common.authentication import (
    CALLER_API_CLIENT,
    CALLER_CUSTOMER,
    CALLER_STAFF,
    CALLER_USER,
    caller_kind,
)
from common.client_ip import client_ip

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}

# Caller kind → the setting holding its rate.
RATE_SETTINGS = {
    CALLER_API_CLIENT: "THROTTLE_RATE_API_KEY",
    CALLER_CUSTOMER: "THROTTLE_RATE_CUSTOMER",
    CALLER_USER: "THROTTLE_RATE_USER",
    CALLER_STAFF: "THROTTLE_RATE_USER",
    None: "THROTTLE_RATE_ANON",
}


def rate_parse(rate: str | None) -> tuple[int, int] | None:
    """``"600/min"`` → ``(600, 60)``: requests allowed per window, window in seconds.

    DRF's syntax: a count, ``/``, and a period whose first letter is ``s``, ``m``,
    ``h`` or ``d``. None or "" means no limit. Raises ValueError for anything else.
    """
    if not rate:
        return None
    count, _, period = rate.partition("/")
    if not count.isdigit() or period[:1] not in PERIODS:
        raise ValueError(f"Invalid throttle rate {rate!r}: use N/s, N/min, N/hour or N/day.")
    return int(count), PERIODS[period[:1]]


def counter_hit(cache: BaseCache, key: str, window: int) -> tuple[int, float]:
    """Count one request in ``key``'s current window of ``window`` seconds, in one
    cache round trip.

    Returns: ``(count in this window including this one, seconds until the window
    ends)``.
    """
    if isinstance(cache, RedisCache):
        return _redis_hit(cache, key, window)
    if isinstance(cache, DatabaseCache):
        return _database_hit(cache, key, window)
    cache.add(key, 0, window)
    return cache.incr(key), float(window)


def _full_key(cache: BaseCache, key: str) -> str:
    """The cache's key for a bucket, without Django's memcached-compatibility scan of
    every character (a warning only memcached needs; the throttle's cache is Redis
    or the database, and bucket keys are short ASCII: a caller kind, a key prefix,
    a hex digest, a user id or an IP)."""
    return cache.make_key(key)


# KEYS[1] the counter, ARGV[1] the window in seconds → {count, milliseconds left}.
# A key without an expiry (PTTL -1: written by something else) gets the window's.
_REDIS_HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local left = redis.call('PTTL', KEYS[1])
if count == 1 or left < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  left = tonumber(ARGV[1]) * 1000
end
return {count, left}
"""


def _redis_hit(cache: RedisCache, key: str, window: int) -> tuple[int, float]:
    full_key = _full_key(cache, key)
    # ``cache`` is this thread's instance (``caches[...]``): its client and the
    # client's connection pool are reused for every check the thread makes.
    client = getattr(cache, "_throttle_client", None)
    if client is None:
        client = cache._cache.get_client(full_key, write=True)
        cache._throttle_client = client  # type: ignore[attr-defined]
    count, left = client.eval(_REDIS_HIT_SCRIPT, 1, full_key, window)
    return int(count), left / 1000 if left > 0 else float(window)


def _database_hit(cache: DatabaseCache, key: str, window: int) -> tuple[int, float]:
    full_key = _full_key(cache, key)
    db = router.db_for_write(cache.cache_model_class)
    connection = connections[db]
    table = connection.ops.quote_name(cache._table)  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    adapt = connection.ops.adapt_datetimefield_value
    ends, current = adapt(now + timedelta(seconds=window)), adapt(now)
    # A new window starts when the stored one has ended; the counter is the
    # value column as decimal text. The table name is the cache's LOCATION, quoted.
    sql = (
        f"INSERT INTO {table} (cache_key, value, expires) VALUES (%s, '1', %s) "  # noqa: S608
        f"ON CONFLICT (cache_key) DO UPDATE SET "
        f"value = CASE WHEN {table}.expires <= %s THEN '1' "
        f"ELSE CAST(CAST({table}.value AS INTEGER) + 1 AS TEXT) END, "
        f"expires = CASE WHEN {table}.expires <= %s THEN excluded.expires "
        f"ELSE {table}.expires END "
        f"RETURNING value, expires"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [full_key, ends, current, current])
        value, expires = cursor.fetchone()
    if isinstance(expires, str):
        expires = parse_datetime(expires)
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    remaining = (expires - now).total_seconds() if expires is not None else float(window)
    return int(value), max(remaining, 0.0)


class CallerRateThrottle(BaseThrottle):
    """Fixed-window rate limit per caller (see the module docstring), on the
    ``THROTTLE_CACHE`` cache. A caller kind whose rate is empty is not limited."""

    def __init__(self) -> None:
        self._wait: float | None = None

    @staticmethod
    def bucket(request: Any) -> tuple[str, str]:
        """``(caller kind or "anon", identity)`` of the request's bucket; the identity
        is a key's public prefix, a token's SHA-256, a user id or an IP, never a secret."""
        kind = caller_kind(request)
        if kind == CALLER_API_CLIENT:
            return kind, str(request.auth.prefix)
        if kind == CALLER_CUSTOMER:
            return kind, hashlib.sha256(str(request.auth).encode()).hexdigest()
        if kind in (CALLER_USER, CALLER_STAFF):
            return CALLER_USER, str(request.user.pk)
        return "anon", client_ip(request) or "unknown"

    def allow_request(self, request: Any, view: Any) -> bool:
        """Count the request; False (DRF answers 429) once the bucket's rate is spent."""
        rate = rate_parse(getattr(settings, RATE_SETTINGS.get(caller_kind(request), ""), None))
        if rate is None:
            return True
        limit, window = rate
        request._throttle_counted = True
        kind, identity = self.bucket(request)
        key = f"throttle:{kind}:{identity}"
        try:
            count, remaining = counter_hit(caches[settings.THROTTLE_CACHE], key, window)
        except RedisError as exc:
            # Redis down: serve unthrottled rather than fail every request (the
            # database cache has no such case: without the database nothing works).
            logger.warning("Rate limit not checked, Redis unavailable: %s", type(exc).__name__)
            return True
        if count <= limit:
            return True
        self._wait = remaining
        return False

    def wait(self) -> float | None:
        """Seconds until the window ends (DRF sends it rounded up as ``Retry-After``)."""
        return math.ceil(self._wait) if self._wait is not None else None


def throttle_refused_request(request: Any, view: Any) -> float | None:
    """Count a request refused at authentication or permission (401/403) against
    its caller's bucket. Returns the seconds to wait when the bucket is spent (the
    answer becomes 429), else None. A request already counted (refused by the view
    itself after the throttles ran) is not counted twice."""
    if request is None or getattr(request, "_throttle_counted", False):
        return None
    for throttle in view.get_throttles() if view is not None else []:
        if not throttle.allow_request(request, view):
            return throttle.wait() or 1.0
    return None
