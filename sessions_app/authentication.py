"""``Authorization: Bearer <Supabase access token>`` for DRF (issue 4).

Verification follows Supabase's "JWT signing keys" and "Verifying a JWT" docs,
with PyJWT:

- Asymmetric keys (``SUPABASE_JWT_ALGORITHMS``, default ES256 and RS256) come
  from the project's JWKS, ``{SUPABASE_URL}/auth/v1/.well-known/jwks.json``,
  fetched with ``jwt.PyJWKClient``. One client per URL lives for the process;
  it keeps the key set ``SUPABASE_JWKS_CACHE_SECONDS`` (default 5 minutes) and
  refetches once when a token names an unknown ``kid`` (a rotated key), at most
  once per ``SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS``.
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
(RFC 6750 section 3); an unreachable JWKS endpoint is 503 (the token may be
fine; we could not check it). Tokens are never logged.
"""

import logging
import re
import threading
import uuid

import jwt
from django.conf import settings
from django.db import IntegrityError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import APIException, AuthenticationFailed

from common.permissions import IsAdminRole, IsSignedInUser

logger = logging.getLogger(__name__)

# Supabase access tokens are well under 2 KB; anything far larger is not one.
MAX_TOKEN_LENGTH = 8192
HMAC_ALGORITHMS = {"HS256", "HS384", "HS512"}
# PyJWKClientError messages that mean "the endpoint served no key set", not "no such kid".
_UNUSABLE_KEY_SET_MESSAGES = ("did not return a JSON object", "did not contain any signing keys")
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

_jwks_clients: dict[str, jwt.PyJWKClient] = {}
_jwks_lock = threading.Lock()


def supabase_issuer() -> str:
    """The expected ``iss``: ``SUPABASE_JWT_ISSUER`` or ``{SUPABASE_URL}/auth/v1``."""
    return settings.SUPABASE_JWT_ISSUER or f"{settings.SUPABASE_URL.rstrip('/')}/auth/v1"


def supabase_jwks_url() -> str:
    """``{SUPABASE_URL}/auth/v1/.well-known/jwks.json`` (Supabase's JWKS endpoint)."""
    return f"{settings.SUPABASE_URL.rstrip('/')}/auth/v1/.well-known/jwks.json"


def jwks_client_for(url: str) -> jwt.PyJWKClient:
    """The process-wide PyJWKClient for ``url`` (created on first use, then reused so
    its key-set cache works across requests)."""
    with _jwks_lock:
        client = _jwks_clients.get(url)
        if client is None:
            client = jwt.PyJWKClient(
                url,
                cache_jwk_set=True,
                lifespan=max(1, settings.SUPABASE_JWKS_CACHE_SECONDS),
                timeout=settings.SUPABASE_JWKS_TIMEOUT_SECONDS,
                cooldown_duration=settings.SUPABASE_JWKS_REFETCH_COOLDOWN_SECONDS,
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
        AuthUnavailable: the JWKS endpoint could not be reached or served no usable
            key set (503).
    """
    if not settings.SUPABASE_URL and not settings.SUPABASE_JWT_ISSUER:
        raise InvalidToken("Signed-in access is not configured on this server.")
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
            key = jwks_client_for(supabase_jwks_url()).get_signing_key(header.get("kid"))
        except (jwt.PyJWKClientConnectionError, jwt.PyJWKSetError, ValueError) as exc:
            # Unreachable, or not a usable key set (no keys, not JSON): we cannot
            # check any token, which is our outage, not the caller's fault.
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


# --- DRF ------------------------------------------------------------------------


def _accepts_signed_in_users(permission) -> bool:
    """True when ``permission`` (possibly composed with DRF's ``|``, ``&``, ``~``)
    involves IsSignedInUser or IsAdminRole."""
    if isinstance(permission, (IsSignedInUser, IsAdminRole)):
        return True
    return any(
        _accepts_signed_in_users(getattr(permission, operand))
        for operand in ("op1", "op2")
        if hasattr(permission, operand)
    )


def _quoted(text: str) -> str:
    return text.replace("\\", "").replace('"', "'")


class SupabaseJWTAuthentication(BaseAuthentication):
    """DRF authentication for ``Authorization: Bearer <Supabase access token>``.

    Returns ``(profile, claims)``: ``request.user`` is the caller's
    ``sessions_app.UserProfile`` (created on the first request; see
    ``services.user_profile_for_claims``) and ``request.auth`` the verified claims.
    Without an ``Authorization: Bearer`` header it returns None (``request.user``
    stays None), so API-key and session-token callers are unaffected.

    Errors: 401 ``invalid_token`` with ``WWW-Authenticate: Bearer error=…``; 503
    ``auth_unavailable`` when the JWKS cannot be fetched.
    """

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        request._bearer_error = "invalid_token"
        if len(parts) != 2:
            request._bearer_error_description = "Send exactly one token after Bearer."
            raise AuthenticationFailed(request._bearer_error_description, code="invalid_token")
        try:
            token = parts[1].decode("ascii")
            claims = verify_supabase_token(token)
        except (UnicodeDecodeError, InvalidToken) as exc:
            message = str(exc) if isinstance(exc, InvalidToken) else "The token is malformed."
            logger.info("Bearer token refused: %s", message)
            request._bearer_error_description = message
            raise AuthenticationFailed(message, code="invalid_token") from exc
        request._bearer_error = None

        from sessions_app.services import user_profile_for_claims  # app registry is ready here

        source = request.headers.get(settings.USER_REGISTRATION_SOURCE_HEADER, "")
        try:
            profile = user_profile_for_claims(claims=claims, registration_source=source)
        except IntegrityError as exc:
            message = "The token's user no longer exists."
            logger.info("Bearer token refused: %s", message)
            request._bearer_error = "invalid_token"
            request._bearer_error_description = message
            raise AuthenticationFailed(message, code="invalid_token") from exc
        return profile, claims

    def authenticate_header(self, request) -> str | None:
        """The ``WWW-Authenticate`` challenge, which makes DRF answer 401.

        ``Bearer`` alone when no token was sent to an endpoint signed-in users may
        call (RFC 6750 section 3.1: no error code then); ``Bearer
        error="invalid_token", error_description="…"`` when a token was refused.
        For endpoints only API keys or session tokens open, and no token was sent,
        None: DRF then answers 403 as before this class existed.
        """
        error = getattr(request, "_bearer_error", None)
        if error:
            description = _quoted(getattr(request, "_bearer_error_description", ""))
            return f'Bearer error="{error}", error_description="{description}"'
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view is None or any(_accepts_signed_in_users(p) for p in view.get_permissions()):
            return "Bearer"
        return None


class SupabaseJWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """OpenAPI: the ``BearerAuth`` security scheme (a Supabase access token)."""

    target_class = SupabaseJWTAuthentication
    name = "BearerAuth"

    def get_security_requirement(self, auto_schema):
        """Listed only on endpoints that signed-in users may call."""
        permissions = auto_schema.view.get_permissions()
        if any(_accepts_signed_in_users(p) for p in permissions):
            return {self.name: []}
        return None

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Supabase Auth access token (aud=authenticated).",
        }
