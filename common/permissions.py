"""Who may call what (DESIGN.md "Who may call what").

- Channel / service clients: ``HasAPIKey`` (djangorestframework-api-key, header
  ``X-API-Key``).
- Signed-in app users: ``IsSignedInUser``. The Supabase bearer authentication
  class sets ``request.user`` to the caller's ``sessions_app.UserProfile``
  (``is_authenticated`` True, ``pk`` = the token's ``sub``); with no credentials
  ``request.user`` is None (``UNAUTHENTICATED_USER = None``).
- Combine them with DRF's operators: ``permission_classes = [HasAPIKey | IsSignedInUser]``.
"""

from rest_framework.permissions import BasePermission
from rest_framework_api_key.permissions import HasAPIKey

__all__ = ["HasAPIKey", "IsAdminRole", "IsSignedInUser", "has_api_key", "signed_in_user_id"]


def signed_in_user_id(request) -> str | None:
    """The signed-in user's id (Supabase ``sub``, a UUID string), or None."""
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        return str(user.pk)
    return None


def has_api_key(request, view=None) -> bool:
    """True when the request carries a valid, unrevoked, unexpired ``X-API-Key``."""
    return HasAPIKey().has_permission(request, view)


class IsSignedInUser(BasePermission):
    """A request with a verified Supabase access token."""

    message = "Sign in: send Authorization: Bearer <Supabase access token>."

    def has_permission(self, request, view) -> bool:
        return signed_in_user_id(request) is not None


class IsAdminRole(BasePermission):
    """A signed-in user whose profile role (or ``app_metadata.role``) is ``admin``."""

    message = "Only admins may do this."

    def has_permission(self, request, view) -> bool:
        user = getattr(request, "user", None)
        return signed_in_user_id(request) is not None and getattr(user, "is_admin", False)
