"""Who may call what, named for the callers (see ``common.authentication``).

- ``IsApiClient``: a channel / service client with a valid ``X-API-Key``.
- ``IsCustomer``: a customer sending ``X-Session-Token``.
- ``IsSignedInUser``: a signed-in app user (verified Supabase bearer token).
- ``IsAdminRole``: a signed-in user whose role is ``admin`` (profile role or
  ``app_metadata.role``).
- ``IsStaff``: an active staff user signed in to the Django admin.

Combine them with DRF's operators, e.g. ``[IsApiClient | IsSignedInUser]``; the
view's ``authentication_classes`` list the matching authentication classes.
"""

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from common.authentication import (
    CALLER_CUSTOMER,
    CALLER_STAFF,
    CALLER_USER,
    ApiKeyAuthentication,
    caller_kind,
)

__all__ = [
    "IsAdminRole",
    "IsApiClient",
    "IsCustomer",
    "IsSignedInUser",
    "IsStaff",
    "has_api_key",
    "signed_in_user_id",
]


def signed_in_user_id(request: Request) -> str | None:
    """The signed-in user's id (Supabase ``sub``, a UUID string), or None."""
    if caller_kind(request) != CALLER_USER:
        return None
    return str(request.user.pk)


def has_api_key(request: Request) -> bool:
    """True when the request carries a valid, unrevoked, unexpired ``X-API-Key``
    (also when another caller kind authenticated it)."""
    return ApiKeyAuthentication.key_for(request) is not None


class IsApiClient(BasePermission):
    """A channel / service client: a valid ``X-API-Key``."""

    message = "Send a valid X-API-Key."

    def has_permission(self, request: Any, view: Any) -> bool:
        return has_api_key(request)


class IsCustomer(BasePermission):
    """A customer: ``X-Session-Token`` (whether it names a live session is the
    service's 404)."""

    message = "Send X-Session-Token."

    def has_permission(self, request: Any, view: Any) -> bool:
        return caller_kind(request) == CALLER_CUSTOMER


class IsSignedInUser(BasePermission):
    """A request with a verified Supabase access token."""

    message = "Sign in: send Authorization: Bearer <Supabase access token>."

    def has_permission(self, request: Any, view: Any) -> bool:
        return signed_in_user_id(request) is not None


class IsAdminRole(BasePermission):
    """A signed-in user whose profile role (or ``app_metadata.role``) is ``admin``."""

    message = "Only admins may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return signed_in_user_id(request) is not None and bool(
            getattr(request.user, "is_admin", False)
        )


class IsStaff(BasePermission):
    """An active staff user signed in to the Django admin."""

    message = "Only staff may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return caller_kind(request) == CALLER_STAFF
