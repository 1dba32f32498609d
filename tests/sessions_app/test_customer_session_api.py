"""Customer sessions through the HTTP API: the kiosk's and WhatsApp's scenarios."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import CustomerSession
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db

START = "/session/start"
RESTORE = "/session/restore"
UPDATE = "/session/update"
END = "/session/end"


def start(client, **body):
    body = {"phone": "+919876543210", "channel": "chat", "customer_id": "103", **body}
    return client.post(START, body, format="json")


def test_two_customers_make_two_rows_with_text_customer_ids(api_client_with_key):
    """Two customers on two phones → two rows, ids kept as text."""
    first = start(api_client_with_key, phone="+919876543210", channel="chat", customer_id="103")
    second = start(api_client_with_key, phone="+919987654321", channel="kiosk", customer_id="104")

    assert first.status_code == 201 and second.status_code == 201
    rows = CustomerSession.objects.order_by("customer_id")
    assert [(r.customer_id, r.phone, r.channel, r.status) for r in rows] == [
        ("103", "+919876543210", "chat", "active"),
        ("104", "+919987654321", "kiosk", "active"),
    ]
    assert first.json()["session"]["customer_id"] == "103"
    assert first.json()["session_token"] != second.json()["session_token"]


def test_start_answers_the_session_shape_of_the_design(api_client_with_key):
    response = start(api_client_with_key, metadata={"cart": []})

    body = response.json()
    assert set(body) == {"session_token", "session"}
    assert set(body["session"]) == {
        "session_id",
        "customer_id",
        "phone",
        "channel",
        "status",
        "created_at",
        "last_activity",
        "expires_at",
        "metadata",
    }
    assert body["session"]["metadata"] == {"cart": []}
    assert len(body["session_token"]) >= 43  # 256 bits, URL-safe base64


def test_phone_in_any_notation_is_stored_as_e164(api_client_with_key):
    response = start(api_client_with_key, phone="+91-98765 43210")

    assert response.json()["session"]["phone"] == "+919876543210"
    assert CustomerSession.objects.get().phone == "+919876543210"


def test_numeric_customer_id_is_kept_as_text(api_client_with_key):
    start(api_client_with_key, customer_id=103)

    assert CustomerSession.objects.get().customer_id == "103"


def test_same_phone_on_another_channel_continues_the_session(api_client_with_key):
    """Omni-channel: the kiosk picks up the session the customer began in chat."""
    first = start(api_client_with_key, channel="chat", metadata={"chat": ["hi"]})
    again = start(api_client_with_key, channel="kiosk", metadata={"ignored": True})

    assert again.status_code == 200
    assert again.json()["session_token"] == first.json()["session_token"]
    assert again.json()["session"]["session_id"] == first.json()["session"]["session_id"]
    assert again.json()["session"]["metadata"] == {"chat": ["hi"]}
    assert CustomerSession.objects.count() == 1


def test_logout_then_login_makes_a_new_row(api_client_with_key, api_client):
    """Logout: after logout the same phone gets a new session."""
    first = start(api_client_with_key)
    token = first.json()["session_token"]

    ended = api_client.post(END, HTTP_X_SESSION_TOKEN=token)
    second = start(api_client_with_key, channel="kiosk")

    assert ended.status_code == 200
    assert ended.json()["session"]["status"] == "logged_out"
    assert second.status_code == 201
    assert second.json()["session_token"] != token
    statuses = sorted(CustomerSession.objects.values_list("status", flat=True))
    assert statuses == ["active", "logged_out"]


def test_ending_twice_is_fine(api_client):
    session = CustomerSessionFactory()

    first = api_client.post(END, HTTP_X_SESSION_TOKEN=session.session_token)
    second = api_client.post(END, HTTP_X_SESSION_TOKEN=session.session_token)

    assert first.status_code == second.status_code == 200
    assert second.json()["session"]["status"] == "logged_out"


def test_restore_by_token_slides_the_window(api_client):
    long_ago = timezone.now() - timedelta(days=3)
    session = CustomerSessionFactory(created_at=long_ago)

    response = api_client.get(RESTORE, HTTP_X_SESSION_TOKEN=session.session_token)

    assert response.status_code == 200
    session.refresh_from_db()
    assert session.last_activity > long_ago + timedelta(days=2)
    assert abs(session.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(seconds=30)
    assert response.json()["session"]["session_id"] == str(session.session_id)
    assert response.json()["session_token"] == session.session_token


def test_restore_by_phone_needs_an_api_key(api_client, api_client_with_key):
    session = CustomerSessionFactory(phone="+919876543210")

    without_key = api_client.get(RESTORE, HTTP_X_PHONE="+91 98765 43210")
    with_key = api_client_with_key.get(RESTORE, HTTP_X_PHONE="+91 98765 43210")

    assert without_key.status_code == 403
    assert "session_token" not in without_key.json()
    assert with_key.status_code == 200
    assert with_key.json()["session_token"] == session.session_token


def test_restore_falls_back_to_phone_when_the_token_is_stale(api_client_with_key):
    """The kiosk: the kiosk sends its stored token and the phone; the phone finds the row."""
    session = CustomerSessionFactory(phone="+919876543210")

    response = api_client_with_key.get(
        RESTORE, HTTP_X_SESSION_TOKEN="stale-token-from-local-storage", HTTP_X_PHONE="+919876543210"
    )

    assert response.status_code == 200
    assert response.json()["session_token"] == session.session_token


def test_restore_by_token_ignores_a_phone_sent_without_a_key(api_client):
    session = CustomerSessionFactory()

    response = api_client.get(RESTORE, HTTP_X_SESSION_TOKEN=session.session_token, HTTP_X_PHONE="")

    assert response.status_code == 200


def test_restore_after_the_window_ran_out_is_404_and_marks_expired(api_client):
    """Day 8: no activity for over 7 days → 404, and the row says expired."""
    eight_days_ago = timezone.now() - timedelta(days=8)
    session = CustomerSessionFactory(created_at=eight_days_ago)

    response = api_client.get(RESTORE, HTTP_X_SESSION_TOKEN=session.session_token)

    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "session_not_found"
    session.refresh_from_db()
    assert session.status == "expired"


def test_start_after_expiry_makes_a_new_session(api_client_with_key):
    old = CustomerSessionFactory(
        phone="+919876543210", created_at=timezone.now() - timedelta(days=8)
    )

    response = start(api_client_with_key, phone="+919876543210")

    assert response.status_code == 201
    assert response.json()["session_token"] != old.session_token
    old.refresh_from_db()
    assert old.status == "expired"


@pytest.mark.parametrize("status", ["logged_out", "expired"])
def test_restore_of_an_ended_session_is_404(api_client, status):
    session = CustomerSessionFactory(status=status)

    response = api_client.get(RESTORE, HTTP_X_SESSION_TOKEN=session.session_token)

    assert response.status_code == 404


@pytest.mark.parametrize("token", ["x" * 43, "not a token", "💥" * 10, "a" * 5000, "' OR 1=1 --"])
def test_unknown_or_malformed_token_is_404(api_client, token):
    for path in (UPDATE, END):
        response = api_client.post(
            path, {"metadata": {}}, format="json", HTTP_X_SESSION_TOKEN=token
        )
        assert response.status_code == 404, path
    assert api_client.get(RESTORE, HTTP_X_SESSION_TOKEN=token).status_code == 404


def test_restore_without_any_header_is_400(api_client):
    response = api_client.get(RESTORE)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "X-Session-Token"


def test_update_applies_a_json_merge_patch_and_slides(api_client):
    session = CustomerSessionFactory(
        created_at=timezone.now() - timedelta(days=2),
        metadata={"cart": {"sku-1": 2, "sku-2": 1}, "lang": "en", "chat": ["hi"]},
    )

    response = api_client.post(
        UPDATE,
        {"metadata": {"cart": {"sku-2": None, "sku-3": 4}, "lang": None, "chat": ["hi", "ok"]}},
        format="json",
        HTTP_X_SESSION_TOKEN=session.session_token,
    )

    assert response.status_code == 200
    expected = {"cart": {"sku-1": 2, "sku-3": 4}, "chat": ["hi", "ok"]}
    assert response.json()["session"]["metadata"] == expected
    session.refresh_from_db()
    assert session.metadata == expected
    assert session.expires_at > timezone.now() + timedelta(days=6, hours=23)


def test_update_of_an_expired_session_is_404_and_writes_nothing(api_client):
    session = CustomerSessionFactory(
        created_at=timezone.now() - timedelta(days=9), metadata={"a": 1}
    )

    response = api_client.post(
        UPDATE, {"metadata": {"a": 2}}, format="json", HTTP_X_SESSION_TOKEN=session.session_token
    )

    assert response.status_code == 404
    session.refresh_from_db()
    assert session.metadata == {"a": 1}
    assert session.status == "expired"


def test_update_and_end_need_the_token_header(api_client):
    for path in (UPDATE, END):
        response = api_client.post(path, {"metadata": {}}, format="json")
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "X-Session-Token"
