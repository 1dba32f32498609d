"""User profiles: created on the first authenticated request, race-safe, cheap to keep
current; admin rights from our role or app_metadata, never user_metadata."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from sessions_app.models import UserProfile
from tests.sessions_app.factories import UserProfileFactory
from tests.threads import run_in_threads
from tests.tokens import bearer_client, hs256_token

pytestmark = pytest.mark.django_db


ME = "/api/v1/me/"
SUMMARY = "/api/v1/user-sessions/summary/"


def test_the_first_request_creates_the_profile_with_the_default_role(user_client_for):
    sub = uuid.uuid4()

    response = user_client_for(sub, email="new@example.com").get(ME)

    assert response.status_code == 200
    profile = UserProfile.objects.get(pk=sub)
    assert (profile.email, profile.role, profile.registration_source) == (
        "new@example.com",
        "user",
        "",
    )
    assert response.json() == {
        "id": str(sub),
        "email": "new@example.com",
        "phone": None,
        "role": "user",
        "is_admin": False,
        "registration_source": "",
        "created_at": response.json()["created_at"],
        "last_seen_at": response.json()["last_seen_at"],
    }


def test_the_registration_source_header_is_kept_on_creation_only(user_client_for):
    sub = uuid.uuid4()
    client = user_client_for(sub)

    client.get(ME, HTTP_X_CLIENT_PLATFORM="iOS-External")
    client.get(ME, HTTP_X_CLIENT_PLATFORM="web")

    assert UserProfile.objects.get(pk=sub).registration_source == "ios-external"


def test_a_malformed_registration_source_header_is_ignored(user_client_for):
    sub = uuid.uuid4()

    user_client_for(sub).get(ME, HTTP_X_CLIENT_PLATFORM="<script>alert(1)</script>")

    assert UserProfile.objects.get(pk=sub).registration_source == ""


def test_the_first_session_platform_becomes_the_registration_source(user_client_for):
    sub = uuid.uuid4()
    client = user_client_for(sub)

    client.post("/api/v1/user-sessions/", {"session_id": "first-session", "platform": "ios-widget"})
    client.post("/api/v1/user-sessions/", {"session_id": "second-session", "platform": "web"})

    assert UserProfile.objects.get(pk=sub).registration_source == "ios-widget"


def test_a_signed_in_request_costs_one_query_once_the_profile_exists(
    user_client_for, django_assert_num_queries
):
    client = user_client_for(uuid.uuid4())
    client.get(ME)

    with django_assert_num_queries(1):  # SELECT the profile; no write
        response = client.get(ME)

    assert response.status_code == 200


def test_last_seen_is_written_only_when_older_than_a_minute(user_client_for):
    profile = UserProfileFactory()
    client = user_client_for(profile)
    client.get(ME)
    recent = UserProfile.objects.get(pk=profile.pk).last_seen_at
    an_hour_ago = timezone.now() - timedelta(hours=1)

    client.get(ME)
    unchanged = UserProfile.objects.get(pk=profile.pk).last_seen_at
    UserProfile.objects.filter(pk=profile.pk).update(last_seen_at=an_hour_ago)
    client.get(ME)
    refreshed = UserProfile.objects.get(pk=profile.pk).last_seen_at

    assert unchanged == recent
    assert refreshed > an_hour_ago + timedelta(minutes=59)


def test_a_changed_email_or_phone_in_the_token_updates_the_profile(user_client_for):
    profile = UserProfileFactory(email="old@example.com", phone=None)

    user_client_for(profile, email="New@Example.com", phone="447911123456").get(ME)

    profile.refresh_from_db()
    assert profile.email == "new@example.com"
    assert profile.phone == "+447911123456"


def test_an_invalid_phone_claim_does_not_block_sign_in(user_client_for):
    sub = uuid.uuid4()

    response = user_client_for(sub, phone="12").get(ME)

    assert response.status_code == 200
    assert UserProfile.objects.get(pk=sub).phone is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_requests_create_exactly_one_profile(supabase):
    sub = uuid.uuid4()
    token = hs256_token(sub, supabase_url=supabase.SUPABASE_URL, email="race@example.com")

    def first_request(_i):
        return bearer_client(token).get(ME).status_code

    statuses = run_in_threads(12, first_request)

    assert statuses == [200] * 12
    assert UserProfile.objects.filter(pk=sub).count() == 1


# --- Admin rights ---------------------------------------------------------------------


def test_a_profile_with_the_admin_role_is_an_admin(user_client_for):
    admin = UserProfileFactory(role="admin")

    me = user_client_for(admin).get(ME).json()
    summary = user_client_for(admin).get(SUMMARY)

    assert me["is_admin"] is True
    assert summary.status_code == 200


def test_app_metadata_role_admin_makes_an_admin(user_client_for):
    client = user_client_for(uuid.uuid4(), app_metadata={"provider": "email", "role": "admin"})

    assert client.get(ME).json()["is_admin"] is True
    assert client.get(SUMMARY).status_code == 200


def test_app_metadata_roles_list_with_admin_makes_an_admin(user_client_for):
    client = user_client_for(uuid.uuid4(), app_metadata={"roles": ["editor", "admin"]})

    assert client.get(SUMMARY).status_code == 200


def test_user_metadata_can_never_make_an_admin(user_client_for):
    """user_metadata is editable by the user (supabase.auth.updateUser)."""
    client = user_client_for(
        uuid.uuid4(), user_metadata={"role": "admin", "roles": ["admin"], "is_admin": True}
    )

    assert client.get(ME).json()["is_admin"] is False
    assert client.get(SUMMARY).status_code == 403
    assert UserProfile.objects.get().role == "user"


def test_the_summary_needs_a_token(supabase):
    response = APIClient().get(SUMMARY)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
