"""Browser frontends on another origin (KioskChat on :5173) may call
the API when their origin is listed in ``CORS_ALLOWED_ORIGINS``; others may not."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db

KIOSK = "http://localhost:5173"


def preflight(client, path: str, origin: str, headers: str):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@override_settings(CORS_ALLOWED_ORIGINS=[KIOSK])
def test_a_listed_origin_passes_the_preflight_with_the_api_headers(api_client):
    response = preflight(api_client, "/session/start", KIOSK, "content-type,x-api-key,x-phone")

    assert response.status_code == 200  # answered before the API-key check
    assert response["Access-Control-Allow-Origin"] == KIOSK
    allowed = response["Access-Control-Allow-Headers"]
    for header in ("x-api-key", "x-session-token", "x-phone", "authorization"):
        assert header in allowed
    assert "Access-Control-Allow-Credentials" not in response


@override_settings(CORS_ALLOWED_ORIGINS=[KIOSK])
def test_a_listed_origin_can_read_the_response_and_its_request_id(api_client_with_key):
    response = api_client_with_key.get(
        "/session/restore", HTTP_ORIGIN=KIOSK, HTTP_X_SESSION_TOKEN="x"
    )

    assert response.status_code == 404
    assert response["Access-Control-Allow-Origin"] == KIOSK
    assert "X-Request-ID" in response["Access-Control-Expose-Headers"]


@override_settings(CORS_ALLOWED_ORIGINS=[KIOSK])
def test_other_origins_and_the_admin_get_no_cors_headers(api_client):
    other = preflight(api_client, "/session/start", "https://evil.example", "x-api-key")
    admin = preflight(api_client, "/admin/login/", KIOSK, "content-type")

    assert "Access-Control-Allow-Origin" not in other
    assert "Access-Control-Allow-Origin" not in admin
