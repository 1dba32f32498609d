"""Verification of Supabase access tokens (JWT) and the JWKS key cache.

Verification follows Supabase's "JWT signing keys" and "Verifying a JWT" docs,
with PyJWT:

- Asymmetric keys (``SUPABASE_JWT_ALGORITHMS``, default ES256 and RS256) come
  from the project's JWKS, ``{SUPABASE_URL}/auth/v1/.well-known/jwks.json``,
  fetched with ``jwt.PyJWKClient``. One client per URL lives for the process;
  it keeps the key set ``SUPABASE_JWKS_CACHE_SECONDS`` (default 5 minutes) and
  refetches once when a token names an unknown ``kid`` (a rotated key), at most
  once per ``SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS`` (PyJWT starts that
  cooldown at every successful fetch). When a fetch fails, the last good key
  set keeps serving (stale-if-error, up to ``SUPABASE_JWKS_MAX_STALE_SECONDS``
  after it was fetched; one fetch attempt per cache period) and, without one,
  the failure is remembered for the cooldown: an outage of the endpoint costs a
  fetch per cache period or per cooldown, not one per request.
- The legacy shared secret (HS256, ``SUPABASE_JWT_SECRET``) only when configured.
- Accepted algorithms come from settings, never from the token's header: the
  header only says which of the configured ones to expect (``alg: none`` and
  anything else are refused before any key is looked up), and a JWKS key is
  used only with the algorithm it was published for.
- Claims (RFC 7519): ``aud`` = ``SUPABASE_JWT_AUDIENCE`` (``authenticated``),
  ``iss`` = ``{SUPABASE_URL}/auth/v1``; ``exp``, ``iat``, ``sub``, ``aud``,
  ``iss`` required; ``SUPABASE_JWT_LEEWAY_SECONDS`` of clock leeway; ``sub`` a
  UUID; ``role`` = ``authenticated``; anonymous sign-ins (``is_anonymous``)
  only with ``SUPABASE_ALLOW_ANONYMOUS``.

A failure is 401 with ``WWW-Authenticate: Bearer error="invalid_token", …``
(RFC 6750 section 3, raised by ``sessions_app.authentication``); an unreachable
JWKS endpoint is 503 (the token may be
fine; we could not check it), as is an unusable ``SUPABASE_URL`` (also a system
check, ``sessions_app.E001``). Tokens are never logged.
"""

import logging
import re
import threading
import time
import uuid

import jwt
from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException

from sessions_app.checks import supabase_url_problem

logger = logging.getLogger(__name__)

# Supabase access tokens are well under 2 KB; anything far larger is not one.
MAX_TOKEN_LENGTH = 8192
HMAC_ALGORITHMS = {"HS256", "HS384", "HS512"}
# PyJWKClientError messages that mean "the key set has no signing keys", not "no such
# kid" (raised after the fetch, so SupabaseJWKClient.fetch_data does not see it).
_UNUSABLE_KEY_SET_MESSAGES = ("did not contain any signing keys",)
_JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


class InvalidToken(Exception):
    """The token is not an acceptable Supabase access token; the message says why
    (safe to show the client: it never contains the token)."""


class AuthUnavailable(APIException):
    """503: the signing keys could not be fetched, so no token can be checked."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "Sign-in cannot be checked right now (signing keys unavailable). Retry."
    default_code = "auth_unavailable"


# --- Signing keys -------------------------------------------------------------


class SupabaseJWKClient(jwt.PyJWKClient):
    """PyJWKClient that keeps serving the last good key set when a fetch fails.

    PyJWT's key-set cache returns nothing once expired and a failed fetch raises,
    so during an outage of the JWKS endpoint every request would make its own
    fetch (one at a time, behind the client's lock), each waiting up to the
    timeout before its 503. Here (all through PyJWT's ``fetch_data`` hook):

    - a failed fetch (network error, HTTP error, not a JSON object, no usable
      keys) falls back to the last good key set while it is at most
      ``max_stale`` seconds old; PyJWT caches that set again for a normal cache
      period, so the next attempt comes one cache period later;
    - without a usable fallback the failure is remembered for
      ``retry_after_failure`` seconds, during which fetches fail at once without
      touching the network;
    - while fetches fail, a ``kid`` missing from the fallback set is reported as
      a fetch failure (503), not as an unknown key (401): it may be a new key we
      cannot see.

    Every failure reaches the caller as ``jwt.PyJWKClientConnectionError``.
    """

    def __init__(self, uri: str, *, max_stale: float, retry_after_failure: float, **kwargs):
        super().__init__(uri, **kwargs)
        self.max_stale = max_stale
        self.retry_after_failure = retry_after_failure
        self._last_good: tuple[float, dict] | None = None  # (monotonic time, payload)
        self._failure: tuple[float, Exception] | None = None  # set until a fetch succeeds
        self._lock = threading.RLock()

    def fetch_data(self):
        """PyJWT's fetch, with the fallback and the remembered failure above.

        Returns: the JWKS payload (a dict), fresh or the last good one.
        Raises: ``jwt.PyJWKClientConnectionError`` naming the failure.
        """
        if self._failure is not None:
            failed_at, error = self._failure
            if time.monotonic() - failed_at < self.retry_after_failure:
                return self._fallback(error)
        try:
            payload = super().fetch_data()
        except (jwt.PyJWKClientError, jwt.PyJWKSetError, ValueError) as exc:
            self._failure = (time.monotonic(), exc)
            return self._fallback(exc)
        self._failure = None
        self._last_good = (time.monotonic(), payload)
        return payload

    def _fallback(self, error: Exception) -> dict:
        last_good = self._last_good
        age = None if last_good is None else time.monotonic() - last_good[0]
        if last_good is not None and age is not None and age <= self.max_stale:
            logger.warning(
                "Supabase JWKS fetch failed (%s: %s); using the key set fetched %.0f s ago",
                type(error).__name__,
                error,
                age,
            )
            return last_good[1]
        raise jwt.PyJWKClientConnectionError(f"{type(error).__name__}: {error}") from error

    def get_signing_key(self, kid: str) -> jwt.PyJWK:
        """PyJWT's lookup; a ``kid`` it cannot find while fetches fail is a
        ``jwt.PyJWKClientConnectionError`` (see the class docstring)."""
        with self._lock:  # so _failure is the state the lookup saw
            try:
                return super().get_signing_key(kid)
            except jwt.PyJWKClientConnectionError:
                raise
            except jwt.PyJWKClientError as exc:
                if self._failure is None:
                    raise
                error = self._failure[1]
                raise jwt.PyJWKClientConnectionError(
                    f"key not in the last good key set and {type(error).__name__}: {error}"
                ) from exc


_jwks_clients: dict[str, SupabaseJWKClient] = {}
_jwks_lock = threading.Lock()


def supabase_issuer() -> str:
    """The expected ``iss``: ``SUPABASE_JWT_ISSUER`` or ``{SUPABASE_URL}/auth/v1``."""
    return settings.SUPABASE_JWT_ISSUER or f"{settings.SUPABASE_URL.rstrip('/')}/auth/v1"


def supabase_jwks_url() -> str:
    """``{SUPABASE_URL}/auth/v1/.well-known/jwks.json`` (Supabase's JWKS endpoint)."""
    return f"{settings.SUPABASE_URL.rstrip('/')}/auth/v1/.well-known/jwks.json"


def jwks_client_for(url: str) -> SupabaseJWKClient:
    """The process-wide JWKS client for ``url`` (created on first use from the
    ``SUPABASE_JWKS_*`` settings, then reused so its caches work across requests).

    Raises: ``jwt.PyJWKClientError`` for a URL that is not http(s).
    """
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            cooldown = settings.SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS
            client = SupabaseJWKClient(
                url,
                cache_jwk_set=True,
                lifespan=max(1, settings.SUPABASE_JWKS_CACHE_SECONDS),
                timeout=settings.SUPABASE_JWKS_TIMEOUT_SECONDS,
                cooldown_duration=cooldown,
                # One knob for "least time between fetches the cache did not ask
                # for": unknown-kid refetches and retries after a failure.
                retry_after_failure=cooldown,
                # Also bounds how long a key revoked during an outage is accepted.
                max_stale=settings.SUPABASE_JWKS_MAX_STALE_SECONDS,
            )
            _jwks_clients[url] = client
        return client


def reset_jwks_clients() -> None:
    """Forget every cached JWKS client and key set (tests; after changing settings)."""
    with _jwks_lock:
        _jwks_clients.clear()


def _asymmetric_algorithms() -> list[str]:
    return [a for a in settings.SUPABASE_JWT_ALGORITHMS if a not in HMAC_ALGORITHMS and a != "none"]


def verify_supabase_token(token: str) -> dict:
    """Verify a Supabase access token and return its claims.

    Args:
        token: the compact JWS from ``Authorization: Bearer``.

    Returns: the claims dict; ``sub`` is normalised to the canonical UUID text.

    Raises:
        InvalidToken: bad shape, algorithm not configured (including ``none``),
            unknown key, bad signature, expired (beyond the leeway), ``iat`` in the
            future, wrong ``aud`` or ``iss``, a required claim missing, ``sub`` not
            a UUID, ``role`` not ``authenticated``, or an anonymous user while
            ``SUPABASE_ALLOW_ANONYMOUS`` is off.
        AuthUnavailable: (503) ``SUPABASE_URL`` is not a usable URL; or the JWKS
            endpoint could not be reached or served no usable key set, and there
            is no last good key set (``SUPABASE_JWKS_MAX_STALE_SECONDS``) or the
            token's ``kid`` is not in it.
    """
    if not settings.SUPABASE_URL and not settings.SUPABASE_JWT_ISSUER:
        raise InvalidToken("Signed-in access is not configured on this server.")
    url_problem = supabase_url_problem(settings.SUPABASE_URL)
    if url_problem:
        # Our misconfiguration, not the caller's token (system check sessions_app.E001).
        logger.error("Supabase auth unavailable: %s", url_problem)
        raise AuthUnavailable()
    if len(token) > MAX_TOKEN_LENGTH or not _JWT_SHAPE.match(token):
        raise InvalidToken("The access token is malformed.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidToken("The access token is malformed.") from exc
    alg = header.get("alg")

    if alg == "HS256" and settings.SUPABASE_JWT_SECRET:
        key, algorithms = settings.SUPABASE_JWT_SECRET, ["HS256"]
    elif isinstance(alg, str) and alg in _asymmetric_algorithms():
        if not settings.SUPABASE_URL:
            raise InvalidToken("Signing keys are not configured on this server.")
        try:
            key = jwks_client_for(supabase_jwks_url()).get_signing_key(str(header.get("kid")))
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as exc:
            # Unreachable or not a usable key set, and no last good one to use: we
            # cannot check the token, which is our outage, not the caller's fault.
            logger.error("Supabase JWKS unusable: %s: %s", type(exc).__name__, exc)
            raise AuthUnavailable() from exc
        except jwt.PyJWKClientError as exc:
            if any(marker in str(exc) for marker in _UNUSABLE_KEY_SET_MESSAGES):
                logger.error("Supabase JWKS unusable: %s", exc)
                raise AuthUnavailable() from exc
            raise InvalidToken("The access token is signed with an unknown key.") from exc
        algorithms = _asymmetric_algorithms()
    else:
        raise InvalidToken("The access token's signing algorithm is not accepted.")

    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.SUPABASE_JWT_AUDIENCE,
            issuer=supabase_issuer(),
            leeway=settings.SUPABASE_JWT_LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "sub", "aud", "iss"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("The access token has expired.") from exc
    except jwt.InvalidAudienceError as exc:
        raise InvalidToken("The access token is not meant for this API (aud).") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidToken("The access token was issued by someone else (iss).") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidToken(f"The access token has no {exc.claim!r} claim.") from exc
    except jwt.ImmatureSignatureError as exc:
        raise InvalidToken("The access token is not valid yet (iat/nbf).") from exc
    except jwt.InvalidSignatureError as exc:
        raise InvalidToken("The access token's signature does not verify.") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("The access token is invalid.") from exc

    try:
        claims["sub"] = str(uuid.UUID(str(claims["sub"])))
    except ValueError as exc:
        raise InvalidToken("The access token's subject is not a user id.") from exc
    if claims.get("role") != "authenticated":
        raise InvalidToken("The access token is not a signed-in user's (role).")
    if claims.get("is_anonymous") is True and not settings.SUPABASE_ALLOW_ANONYMOUS:
        raise InvalidToken("Anonymous sign-ins are not accepted; sign in with an account.")
    return claims
