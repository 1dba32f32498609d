"""OpenAPI schema generation: error responses plus the API-key security scheme."""

from drf_standardized_errors.openapi import AutoSchema as _AutoSchema
from rest_framework_api_key.permissions import BaseHasAPIKey

API_KEY_SCHEME = "ApiKeyAuth"


def _accepts_api_key(permission) -> bool:
    """True when ``permission`` is an API-key check, alone or inside ``|`` / ``&``."""
    if isinstance(permission, BaseHasAPIKey):
        return True
    return any(
        _accepts_api_key(getattr(permission, side))
        for side in ("op1", "op2")
        if hasattr(permission, side)
    )


class AutoSchema(_AutoSchema):
    """drf-standardized-errors' schema (documents the JSON error bodies), adding the
    ``X-API-Key`` requirement to views whose permissions accept an API key
    (djangorestframework-api-key checks keys in a permission, which
    drf-spectacular does not see on its own)."""

    def get_auth(self):
        auth = super().get_auth() or []
        if any(_accepts_api_key(p) for p in self.view.get_permissions()):
            auth = [entry for entry in auth if entry != {}]
            auth.insert(0, {API_KEY_SCHEME: []})
        return auth
