"""OpenAPI schema generation: error responses plus the API-key security scheme."""

from drf_standardized_errors.openapi import AutoSchema as _AutoSchema
from rest_framework_api_key.permissions import BaseHasAPIKey

API_KEY_SCHEME = "ApiKeyAuth"


class AutoSchema(_AutoSchema):
    """drf-standardized-errors' schema (documents the JSON error bodies), adding the
    ``X-API-Key`` requirement to views whose permissions ask for an API key
    (djangorestframework-api-key checks keys in a permission, which
    drf-spectacular does not see on its own)."""

    def get_auth(self):
        auth = super().get_auth() or []
        if any(isinstance(p, BaseHasAPIKey) for p in self.view.get_permissions()):
            auth = [entry for entry in auth if entry != {}]
            auth.insert(0, {API_KEY_SCHEME: []})
        return auth
