"""``Authorization: Bearer <Supabase access token>``: the signed-in app user's DRF
authentication class and its OpenAPI scheme (``BearerAuth``).

The token itself is verified by ``sessions_app.supabase_tokens`` (PyJWT, the
project's JWKS or the legacy HS256 secret); this module turns the result into
``request.user`` (the caller's ``UserProfile``, created on the first request)
and into RFC 6750 answers.
"""

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from common.authentication import CALLER_USER, CallerAuthentication
from common.permissions import IsAdminRole, IsSignedInUser
from sessions_app.models import UserProfile
from sessions_app.services.profiles import user_profile_for_claims
from sessions_app.supabase_tokens import InvalidToken, verify_supabase_token

logger = logging.getLogger(__name__)


def accepts_signed_in_users(permission: Any) -> bool:
    """True when ``permission`` (possibly composed with DRF's ``|``, ``&``, ``~``)
    involves IsSignedInUser or IsAdminRole."""
    if isinstance(permission, (IsSignedInUser, IsAdminRole)):
        return True
    return any(
        accepts_signed_in_users(getattr(permission, operand))
        for operand in ("op1", "op2")
        if hasattr(permission, operand)
    )


class SupabaseJWTAuthentication(CallerAuthentication):
    """DRF authentication for ``Authorization: Bearer <Supabase access token>``.

    Returns ``(profile, claims)``: ``request.user`` is the caller's
    ``sessions_app.UserProfile`` (created on the first request; see
    ``services.profiles.user_profile_for_claims``) and ``request.auth`` the
    verified claims. Without an ``Authorization: Bearer`` header it returns None,
    so the view's other caller kinds are tried. Views that do not take signed-in
    users list it last (``VERIFY_BEARER``): a token sent there is still checked.

    Errors: 401 ``invalid_token`` with ``WWW-Authenticate: Bearer error=…``; 503
    ``auth_unavailable`` when the JWKS cannot be fetched.
    """

    caller = CALLER_USER
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[UserProfile, dict[str, Any]] | None:
        """``(profile, claims)`` for a verified token; None without a Bearer header.

        Raises: AuthenticationFailed (401) for a refused token or a deleted user;
        ``supabase_tokens.AuthUnavailable`` (503).
        """
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        request._bearer_error = "invalid_token"  # type: ignore[attr-defined]
        if len(parts) != 2:
            return self._refuse(request, "Send exactly one token after Bearer.")
        try:
            token = parts[1].decode("ascii")
            claims = verify_supabase_token(token)
        except (UnicodeDecodeError, InvalidToken) as exc:
            message = str(exc) if isinstance(exc, InvalidToken) else "The token is malformed."
            return self._refuse(request, message, exc)
        request._bearer_error = None  # type: ignore[attr-defined]
        source = request.headers.get(settings.USER_REGISTRATION_SOURCE_HEADER, "")
        try:
            profile = user_profile_for_claims(claims=claims, registration_source=source)
        except IntegrityError as exc:
            request._bearer_error = "invalid_token"  # type: ignore[attr-defined]
            return self._refuse(request, "The token's user no longer exists.", exc)
        return profile, claims

    @staticmethod
    def _refuse(request: Request, message: str, cause: Exception | None = None) -> Any:
        logger.info("Bearer token refused: %s", message)
        request._bearer_error_description = message  # type: ignore[attr-defined]
        raise AuthenticationFailed(message, code="invalid_token") from cause

    def authenticate_header(self, request: Request) -> str | None:
        """The ``WWW-Authenticate`` challenge, which makes DRF answer 401.

        ``Bearer error="invalid_token", error_description="…"`` when a token was
        refused; ``Bearer`` alone when no token was sent to a view signed-in users
        may call (RFC 6750 section 3.1: no error code then); None elsewhere (DRF
        answers 403, as for a missing key).
        """
        refused = super().authenticate_header(request)
        if refused:
            return refused
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if view is None or any(accepts_signed_in_users(p) for p in view.get_permissions()):
            return "Bearer"
        return None


class SupabaseJWTAuthenticationScheme(OpenApiAuthenticationExtension):
    """OpenAPI: the ``BearerAuth`` security scheme (a Supabase access token)."""

    target_class = SupabaseJWTAuthentication
    name = "BearerAuth"

    def get_security_requirement(self, auto_schema: Any) -> Any:
        """Listed only on operations signed-in users may call (the class also
        verifies Bearer tokens sent to the others)."""
        if any(accepts_signed_in_users(p) for p in auto_schema.view.get_permissions()):
            return {self.name: []}
        return None

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A Supabase Auth access token (aud=authenticated).",
        }


# The last authentication class of views that signed-in users may not call: a
# Bearer token sent there is verified anyway (a bad one is 401 invalid_token).
VERIFY_BEARER = [SupabaseJWTAuthentication]
