"""DRF authentication: one class per caller kind (the Supabase bearer class lives
in ``sessions_app.authentication``, beside the profiles it creates).

- channel / service client, ``X-API-Key``: ``ApiKeyAuthentication``
  (``request.user`` an ``ApiClient``, ``request.auth`` the ``APIKey`` row);
- customer, ``X-Session-Token``: ``SessionTokenAuthentication``
  (``Customer``, the token);
- signed-in app user, ``Authorization: Bearer``:
  ``sessions_app.authentication.SupabaseJWTAuthentication`` (``UserProfile``, the claims);
- staff, the Django admin's session cookie: ``StaffSessionAuthentication``
  (the Django ``User``, None).

Each class carries ``caller`` (``api_client``, ``customer``, ``user``, ``staff``);
the permission classes of ``common.permissions`` read it from
``request.successful_authenticator``. A view lists the classes of the callers it
accepts in ``authentication_classes`` and states who may call in
``permission_classes``. A view that does not take signed-in users still lists the
bearer class last, so that a Bearer token sent there is verified like anywhere
else (a bad one is 401 ``invalid_token``, never silently ignored); the OpenAPI
schema and the ``WWW-Authenticate`` challenge name it only where signed-in users
may call.

Without its header a class answers None (the next one is tried). A class never
reports success for a credential it did not check, except the session token:
the customer-session services resolve it in the same ``UPDATE … RETURNING``
that slides its window (one statement instead of two; an unknown, logged-out or
expired token is the routes' 404).
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request
from rest_framework_api_key.models import APIKey
from rest_framework_api_key.permissions import HasAPIKey

from common.db import fetch_instances, returning_columns

API_KEY_HEADER = "X-API-Key"
SESSION_TOKEN_HEADER = "X-Session-Token"  # noqa: S105 (a header name)

CALLER_API_CLIENT = "api_client"
CALLER_CUSTOMER = "customer"
CALLER_USER = "user"
CALLER_STAFF = "staff"

_NO_KEY = object()


class CallerAuthentication(BaseAuthentication):
    """Base of the header classes: no challenge of their own (a key or a token is
    not challenge-response, so a missing one is 403), but a refused Bearer token
    keeps its RFC 6750 challenge (401) when this class is the view's first."""

    caller: str

    def authenticate_header(self, request: Request) -> str | None:
        """The refused Bearer token's challenge, else None (DRF then answers 403)."""
        error = getattr(request, "_bearer_error", None)
        if not error:
            return None
        description = str(getattr(request, "_bearer_error_description", ""))
        description = description.replace("\\", "").replace('"', "'")
        return f'Bearer error="{error}", error_description="{description}"'


@cache
def _key_by_prefix_sql(vendor: str) -> str:
    """The unrevoked key with a given prefix, every column (``fetch_instances``)."""
    quote = connection.ops.quote_name
    return (
        f"SELECT {returning_columns(APIKey)} FROM {quote(APIKey._meta.db_table)} "  # noqa: S608
        f"WHERE {quote('prefix')} = %s AND NOT {quote('revoked')}"
    )


def _usable_key(key: str) -> APIKey | None:
    """The unrevoked ``APIKey`` whose prefix and hash match ``key``, or None: what
    djangorestframework-api-key's ``get_from_key`` does, in a statement written once
    (the ORM built and compiled the same query on every request). Never cached: a
    key revoked in the admin is refused on the next request."""
    prefix, _, _ = key.partition(".")
    rows = fetch_instances(APIKey, _key_by_prefix_sql(connection.vendor), [prefix], prepared=True)
    if not rows or not rows[0].is_valid(key):
        return None
    return rows[0]


@dataclass(frozen=True)
class ApiClient:
    """``request.user`` of an ``X-API-Key`` caller (a kiosk, the WhatsApp gateway,
    the AI backend): the key's name, as listed in the admin."""

    name: str
    is_authenticated = True
    pk = None


@dataclass(frozen=True)
class Customer:
    """``request.user`` of an ``X-Session-Token`` caller: the token as sent."""

    session_token: str
    is_authenticated = True
    pk = None


def caller_kind(request: Request) -> str | None:
    """``api_client`` | ``customer`` | ``user`` | ``staff`` for an authenticated
    request (the class that succeeded), else None."""
    return getattr(request.successful_authenticator, "caller", None)


class ApiKeyAuthentication(CallerAuthentication):
    """``X-API-Key: <key>`` (djangorestframework-api-key: keys stored hashed, made
    with ``manage.py create_api_key``, revoked in the admin).

    A missing, unknown, revoked or expired key authenticates no one (None): the
    view then answers 403 (a key is not a challenge-response scheme, so there is
    no ``WWW-Authenticate`` and no 401).
    """

    caller = CALLER_API_CLIENT

    @staticmethod
    def key_for(request: Any) -> APIKey | None:
        """The valid ``APIKey`` row the request's ``X-API-Key`` names, or None.

        Looked up once per request (the hash check is deliberately slow) and kept
        on the request, so a view accepting several callers can ask whether a
        valid key came along even when another class authenticated the request.
        """
        cached = getattr(request, "_api_key_row", _NO_KEY)
        if cached is not _NO_KEY:
            return cached  # type: ignore[return-value]
        key = HasAPIKey().get_key(request)
        row: APIKey | None = None
        if key:
            row = _usable_key(key)
            if row is not None and row.has_expired:
                row = None
        request._api_key_row = row
        return row

    def authenticate(self, request: Request) -> tuple[ApiClient, APIKey] | None:
        """``(ApiClient, APIKey)`` for a valid key, else None."""
        row = self.key_for(request)
        if row is None:
            return None
        return ApiClient(name=row.name), row


class SessionTokenAuthentication(CallerAuthentication):
    """``X-Session-Token: <token>``: a customer holding a session token (issued by
    ``POST /session/start``). The token is resolved by the customer-session
    services (404 when unknown, logged out or expired); a missing or blank header
    authenticates no one."""

    caller = CALLER_CUSTOMER

    def authenticate(self, request: Request) -> tuple[Customer, str] | None:
        """``(Customer, token)`` when the header carries a token, else None."""
        token = request.headers.get(SESSION_TOKEN_HEADER, "").strip()
        if not token:
            return None
        return Customer(session_token=token), token


class StaffSessionAuthentication(SessionAuthentication):
    """The Django admin's session cookie of an active staff user (CSRF-checked on
    unsafe methods, as DRF's SessionAuthentication); anyone else: None."""

    caller = CALLER_STAFF

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        """``(user, None)`` for a signed-in active staff user, else None."""
        result = super().authenticate(request)
        if result is None or not result[0].is_staff:
            return None
        return result


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """OpenAPI: ``ApiKeyAuth``, the ``X-API-Key`` header."""

    target_class = ApiKeyAuthentication
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}


class SessionTokenScheme(OpenApiAuthenticationExtension):
    """OpenAPI: ``SessionToken``, the ``X-Session-Token`` header."""

    target_class = SessionTokenAuthentication
    name = "SessionToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": SESSION_TOKEN_HEADER,
            "description": "The customer's session token from POST /session/start.",
        }


class StaffSessionScheme(OpenApiAuthenticationExtension):
    """OpenAPI: ``StaffSession``, the Django admin's session cookie."""

    target_class = StaffSessionAuthentication
    name = "StaffSession"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "cookie",
            "name": "sessionid",
            "description": "A staff user signed in to the Django admin.",
        }
