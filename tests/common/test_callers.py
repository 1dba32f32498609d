"""Each caller kind reaches what it may call, through the shared caller fixtures."""

import pytest

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/user-sessions/summary/"


def test_a_channel_client_starts_a_customer_session(api_client_with_key):
    response = api_client_with_key.post(
        "/session/start",
        {"phone": "+919876543210", "channel": "kiosk", "customer_id": "103"},
        format="json",
    )

    assert response.status_code == 201


def test_a_customer_restores_their_own_session(customer_client):
    response = customer_client.get("/session/restore")

    assert response.status_code == 200
    assert response.json()["session"]["session_id"] == str(customer_client.session_record.pk)


def test_a_signed_in_user_reads_their_profile(user_client):
    client = user_client()

    response = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["id"] == client.user_id


def test_admins_of_either_kind_read_the_summary_and_users_do_not(user_client, staff_client):
    assert user_client(role="admin").get(SUMMARY).status_code == 200
    assert staff_client.get(SUMMARY).status_code == 200
    assert user_client().get(SUMMARY).status_code == 403


def test_a_signed_in_non_staff_django_user_is_not_staff(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", "clerk@example.com", "pw")
    client.force_login(user)

    assert client.get(SUMMARY).status_code == 401
