"""Admin pages for user profiles and user sessions: staff only, bounded queries, search,
filters, role change, ending sessions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import UserProfile, UserSession
from tests.sessions_app.factories import UserProfileFactory, UserSessionFactory

pytestmark = pytest.mark.django_db

PROFILES = "/admin/sessions_app/userprofile/"
SESSIONS = "/admin/sessions_app/usersession/"


def listed(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


# --- Profiles -------------------------------------------------------------------------


def test_app_users_are_not_staff_and_cannot_open_the_admin(client):
    response = client.get(PROFILES)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_profile_changelist_lists_users_in_bounded_queries(
    staff_client, django_assert_max_num_queries
):
    UserProfileFactory.create_batch(3)
    with django_assert_max_num_queries(10) as few:
        staff_client.get(PROFILES)
    newest = UserProfileFactory.create_batch(40)[-1]

    with django_assert_max_num_queries(len(few.captured_queries)):
        html = listed(staff_client.get(PROFILES))

    assert newest.email in html


@pytest.mark.parametrize(
    "term",
    ["ann@example.com", "ANN@", "+91 98765-43210", "919876543210", "{id}"],
    ids=["email", "email prefix", "phone notation", "phone digits", "user id"],
)
def test_profile_search_finds_by_email_phone_or_id(staff_client, term):
    ann = UserProfileFactory(email="ann@example.com", phone="+919876543210")
    UserProfileFactory(email="bob@example.com", phone="+919999999999")

    html = listed(staff_client.get(PROFILES, {"q": term.format(id=ann.pk)}))

    assert "ann@example.com" in html and "bob@example.com" not in html


def test_profile_filters_by_role(staff_client):
    UserProfileFactory(email="boss@example.com", role="admin")
    UserProfileFactory(email="worker@example.com")

    html = listed(staff_client.get(PROFILES, {"role__exact": "admin"}))

    assert "boss@example.com" in html and "worker@example.com" not in html


def test_the_make_admin_action_changes_roles(staff_client):
    users = UserProfileFactory.create_batch(2)

    staff_client.post(
        PROFILES, {"action": "make_admin", "_selected_action": [str(u.pk) for u in users]}
    )

    assert set(UserProfile.objects.values_list("role", flat=True)) == {"admin"}


def test_the_role_can_be_changed_on_the_change_page_and_nothing_else(staff_client):
    user = UserProfileFactory(email="ann@example.com", role="user")

    response = staff_client.post(
        f"{PROFILES}{user.pk}/change/",
        # The page's budgets inline sends its (empty) management form too.
        {
            "role": "admin",
            "email": "hacked@example.com",
            "budgets-TOTAL_FORMS": "0",
            "budgets-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.role, user.email) == ("admin", "ann@example.com")


# --- Sessions -------------------------------------------------------------------------


def test_session_changelist_shows_platform_status_duration_and_heartbeat(staff_client):
    UserSessionFactory(
        session_id="ended-session",
        user=UserProfileFactory(email="ann@example.com"),
        platform="ios-widget",
        status="ended",
        end_reason="logout",
        ended_at=timezone.now(),
        total_duration_seconds=3725,
    )

    html = listed(staff_client.get(SESSIONS))

    assert "ended-session" in html and "ann@example.com" in html
    assert "iOS widget" in html and "Ended" in html
    assert "1:02:05" in html


def test_session_changelist_queries_do_not_grow_with_rows(
    staff_client, django_assert_max_num_queries
):
    UserSessionFactory.create_batch(3)
    with django_assert_max_num_queries(10) as few:
        staff_client.get(SESSIONS)
    UserSessionFactory.create_batch(40)

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = staff_client.get(SESSIONS)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "params, shown, hidden",
    [
        ({"platform__exact": "web"}, "web-one", "ios-one"),
        ({"status__exact": "ended"}, "ios-one", "web-one"),
        ({"end_reason__exact": "crash"}, "ios-one", "web-one"),
        ({"q": "ios-one"}, "ios-one", "web-one"),
        ({"q": "ann@"}, "web-one", "ios-one"),
    ],
    ids=["platform", "status", "end reason", "session id", "user email"],
)
def test_session_filters_and_search(staff_client, params, shown, hidden):
    UserSessionFactory(session_id="web-one", user=UserProfileFactory(email="ann@example.com"))
    UserSessionFactory(
        session_id="ios-one", platform="ios-internal", status="ended", end_reason="crash"
    )

    html = listed(staff_client.get(SESSIONS, params))

    assert shown in html and hidden not in html


def test_the_end_action_ends_live_sessions_only(staff_client):
    live = UserSessionFactory(status="idle")
    UserSession.objects.filter(pk=live.pk).update(started_at=timezone.now() - timedelta(minutes=3))
    done = UserSessionFactory(status="ended", end_reason="logout")

    response = staff_client.post(
        SESSIONS, {"action": "end_selected", "_selected_action": [str(live.pk), str(done.pk)]}
    )

    assert response.status_code == 302
    live.refresh_from_db()
    assert (live.status, live.end_reason) == ("ended", "manual")
    assert 180 <= live.total_duration_seconds < 190
    assert UserSession.objects.get(pk=done.pk).end_reason == "logout"


def test_sessions_are_view_only_in_the_admin(staff_client):
    session = UserSessionFactory()

    page = staff_client.get(f"{SESSIONS}{session.pk}/change/")
    post = staff_client.post(f"{SESSIONS}{session.pk}/change/", {"status": "ended"})

    assert page.status_code == 200
    assert post.status_code == 403
    assert UserSession.objects.get(pk=session.pk).status == "active"
