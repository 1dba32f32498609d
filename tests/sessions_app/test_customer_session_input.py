"""Bad input to the customer-session routes: a 4xx naming the problem, no row written."""

import pytest
from django.test import override_settings

from sessions_app.models import CustomerSession
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db

VALID = {"phone": "+919876543210", "channel": "kiosk", "customer_id": "103"}


def error_attrs(response) -> set:
    return {e["attr"] for e in response.json()["errors"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "kiosk", "customer_id": "103"}, "phone"),
        ({"phone": "+919876543210", "customer_id": "103"}, "channel"),
        ({"phone": "+919876543210", "channel": "kiosk"}, "customer_id"),
        ({**VALID, "channel": "telegram"}, "channel"),
        ({**VALID, "phone": "not a phone"}, "phone"),
        ({**VALID, "phone": "+91 12345"}, "phone"),
        ({**VALID, "phone": 919876543210}, "phone"),
        ({**VALID, "customer_id": ""}, "customer_id"),
        ({**VALID, "customer_id": {"id": 1}}, "customer_id"),
        ({**VALID, "customer_id": True}, "customer_id"),
        ({**VALID, "customer_id": 103.0}, "customer_id"),
        ({**VALID, "customer_id": 1e20}, "customer_id"),
        ({**VALID, "metadata": ["not", "an", "object"]}, "metadata"),
        ({**VALID, "metadata": "text"}, "metadata"),
    ],
)
def test_start_rejects_bad_fields_by_name(api_client_with_key, body, field):
    response = api_client_with_key.post("/session/start", body, format="json")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert field in error_attrs(response)
    assert CustomerSession.objects.count() == 0


def test_start_rejects_a_body_that_is_not_an_object(api_client_with_key):
    response = api_client_with_key.post("/session/start", [VALID], format="json")

    assert response.status_code == 400
    assert CustomerSession.objects.count() == 0


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b'{"phone": "+919876543210", ', "application/json"),
        (b"\xff\xfe{}", "application/json"),
        (b'{"phone": NaN}', "application/json"),
    ],
)
def test_start_rejects_bodies_that_are_not_json_or_not_utf8(api_client_with_key, raw, content_type):
    response = api_client_with_key.generic("POST", "/session/start", raw, content_type)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"
    assert CustomerSession.objects.count() == 0


def test_start_rejects_a_non_json_content_type(api_client_with_key):
    response = api_client_with_key.generic("POST", "/session/start", b"phone=1", "text/plain")

    assert response.status_code == 415
    assert response.json()["type"] == "client_error"


@override_settings(REQUEST_BODY_MAX_BYTES=1024)
def test_start_rejects_a_body_over_the_size_limit(api_client_with_key):
    body = {**VALID, "metadata": {"blob": "x" * 2000}}

    response = api_client_with_key.post("/session/start", body, format="json")

    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert CustomerSession.objects.count() == 0


def test_a_body_over_the_default_limit_is_413_on_every_json_route(api_client_with_key, settings):
    """Django's own DATA_UPLOAD_MAX_MEMORY_SIZE check (RequestDataTooBig) fires
    first with the default settings; it is the same 413, not a 500."""
    oversized = b'{"blob": "' + b"x" * settings.REQUEST_BODY_MAX_BYTES + b'"}'

    for route in ("/session/start", "/session/create", "/api/v1/interactions/"):
        response = api_client_with_key.generic("POST", route, oversized, "application/json")

        assert response.status_code == 413, route
        assert response.json()["errors"][0]["code"] == "request_too_large"
    assert CustomerSession.objects.count() == 0


def test_start_needs_a_valid_api_key(api_client):
    missing = api_client.post("/session/start", VALID, format="json")
    wrong = api_client.post("/session/start", VALID, format="json", HTTP_X_API_KEY="abc.def")

    assert missing.status_code == wrong.status_code == 403
    assert CustomerSession.objects.count() == 0


def test_a_revoked_api_key_is_refused(api_client):
    from rest_framework_api_key.models import APIKey

    obj, key = APIKey.objects.create_key(name="old kiosk")
    obj.revoked = True
    obj.save()

    response = api_client.post("/session/start", VALID, format="json", HTTP_X_API_KEY=key)

    assert response.status_code == 403


@pytest.mark.parametrize("metadata", [None, [1], "x", 3])
def test_update_rejects_metadata_that_is_not_an_object(api_client, metadata):
    session = CustomerSessionFactory(metadata={"keep": True})

    response = api_client.post(
        "/session/update",
        {"metadata": metadata},
        format="json",
        HTTP_X_SESSION_TOKEN=session.session_token,
    )

    assert response.status_code == 400
    assert "metadata" in error_attrs(response)
    session.refresh_from_db()
    assert session.metadata == {"keep": True}


def test_restore_with_an_unparseable_phone_is_400(api_client_with_key):
    response = api_client_with_key.get("/session/restore", HTTP_X_PHONE="call me maybe")

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
