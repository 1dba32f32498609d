"""User sessions through the HTTP API: start, heartbeat, end, list,
summary. The original SQL's failure was "[SessionTracking] Failed to start session: Internal
Server Error"; every path here answers a 2xx or a 4xx naming the problem."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from sessions_app.models import UserProfile, UserSession
from tests.sessions_app.factories import UserProfileFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


SESSIONS = "/api/v1/user-sessions/"
SUMMARY = "/api/v1/user-sessions/summary/"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def heartbeat(session_id: str) -> str:
    return f"{SESSIONS}{session_id}/heartbeat/"


def end(session_id: str) -> str:
    return f"{SESSIONS}{session_id}/end/"


@pytest.fixture
def alice(db):
    return UserProfileFactory(email="alice@example.com")


@pytest.fixture
def alice_client(alice, user_client_for):
    return user_client_for(alice)


@pytest.fixture
def bob_client(user_client_for):
    return user_client_for(UserProfileFactory(email="bob@example.com"))


# --- Start ----------------------------------------------------------------------------


def test_start_creates_the_session_with_every_seed_column(alice, alice_client):
    response = alice_client.post(
        SESSIONS,
        {
            "session_id": "web-3f9c2a7e-1",
            "platform": "web",
            "location_info": {"country": "IN", "timezone": "Asia/Kolkata"},
        },
        HTTP_USER_AGENT=IPHONE_SAFARI,
        REMOTE_ADDR="203.0.113.77",
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "session_id",
        "user_id",
        "platform",
        "status",
        "started_at",
        "last_activity_at",
        "last_heartbeat_at",
        "ended_at",
        "end_reason",
        "total_duration_seconds",
        "activity_count",
        "device_info",
        "location_info",
        "user_agent",
        "ip_address",
        "created_at",
        "updated_at",
    }
    row = UserSession.objects.get()
    assert str(row.id) == body["id"] and row.user_id == alice.pk
    assert (row.platform, row.status, row.activity_count, row.total_duration_seconds) == (
        "web",
        "active",
        0,
        0,
    )
    assert row.ended_at is None and row.end_reason is None
    assert row.started_at and row.last_activity_at and row.last_heartbeat_at and row.updated_at
    assert row.location_info == {"country": "IN", "timezone": "Asia/Kolkata"}
    assert row.user_agent == IPHONE_SAFARI
    assert row.ip_address == "203.0.113.0"  # masked to /24


def test_device_info_is_parsed_from_the_user_agent_when_the_client_sends_none(alice_client):
    response = alice_client.post(
        SESSIONS, {"session_id": "web-session-1", "platform": "web"}, HTTP_USER_AGENT=IPHONE_SAFARI
    )

    assert response.json()["device_info"] == {
        "source": "user-agent",
        "browser": {"family": "Mobile Safari", "version": "17.4"},
        "os": {"family": "iOS", "version": "17.4"},
        "device": {"family": "iPhone", "brand": "Apple", "model": "iPhone"},
    }


def test_the_clients_own_device_info_wins_over_the_user_agent(alice_client):
    device = {"platform": "iOS", "app_version": "2.3.1", "model": "iPhone15,2"}

    response = alice_client.post(
        SESSIONS,
        {"session_id": "ios-session-1", "platform": "ios-external", "device_info": device},
        HTTP_USER_AGENT="RetailApp/2.3.1 CFNetwork/1494 Darwin/23.4.0",
    )

    assert response.json()["device_info"] == device


def test_the_same_session_id_again_from_the_same_user_is_200_with_the_same_row(alice_client):
    first = alice_client.post(SESSIONS, {"session_id": "sess-again-1", "platform": "web"})
    again = alice_client.post(SESSIONS, {"session_id": "sess-again-1", "platform": "ios-widget"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["platform"] == "web"
    assert UserSession.objects.count() == 1


def test_a_session_id_of_another_user_is_409_and_changes_nothing(alice_client, bob_client):
    alice_client.post(SESSIONS, {"session_id": "shared-sess-1", "platform": "web"})

    response = bob_client.post(SESSIONS, {"session_id": "shared-sess-1", "platform": "web"})

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "session_id_taken"
    assert UserSession.objects.get().user.email == "alice@example.com"


@pytest.mark.parametrize(
    "body, attr",
    [
        ({"platform": "web"}, "session_id"),
        ({"session_id": "short", "platform": "web"}, "session_id"),
        ({"session_id": "has space in it", "platform": "web"}, "session_id"),
        ({"session_id": "a/b/c/d/e/f", "platform": "web"}, "session_id"),
        ({"session_id": "x" * 129, "platform": "web"}, "session_id"),
        ({"session_id": "valid-session", "platform": "android"}, "platform"),
        ({"session_id": "valid-session"}, "platform"),
        ({"session_id": "valid-session", "platform": "web", "device_info": [1]}, "device_info"),
        (
            {"session_id": "valid-session", "platform": "web", "location_info": "IN"},
            "location_info",
        ),
        (
            {"session_id": "valid-session", "platform": "web", "device_info": {"x": "y" * 17000}},
            "device_info",
        ),
    ],
    ids=[
        "no id",
        "short id",
        "space",
        "slashes",
        "long id",
        "platform",
        "no platform",
        "device list",
        "location text",
        "device too big",
    ],
)
def test_bad_start_input_is_400_naming_the_field_and_writes_nothing(alice_client, body, attr):
    response = alice_client.post(SESSIONS, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr
    assert UserSession.objects.count() == 0


def test_start_without_a_token_is_401(supabase, api_client):
    response = api_client.post(SESSIONS, {"session_id": "anon-session", "platform": "web"})

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert UserSession.objects.count() == 0


def test_an_api_key_does_not_open_user_sessions(supabase, api_client_with_key):
    response = api_client_with_key.post(SESSIONS, {"session_id": "key-session", "platform": "web"})

    assert response.status_code == 401
    assert UserSession.objects.count() == 0


# --- Client address -------------------------------------------------------------------


@pytest.mark.parametrize(
    "remote, stored",
    [
        ("198.51.100.23", "198.51.100.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("::ffff:198.51.100.23", "198.51.100.0"),
    ],
    ids=["ipv4", "ipv6", "ipv4-mapped"],
)
def test_the_client_address_is_stored_masked(alice_client, remote, stored):
    alice_client.post(
        SESSIONS, {"session_id": "masked-ip-1", "platform": "web"}, REMOTE_ADDR=remote
    )

    assert UserSession.objects.get().ip_address == stored


def test_x_forwarded_for_is_ignored_without_trusted_proxies(alice_client, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    alice_client.post(
        SESSIONS,
        {"session_id": "xff-ignored", "platform": "web"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="198.51.100.23",
    )

    assert UserSession.objects.get().ip_address == "10.0.0.0"


def test_x_forwarded_for_is_used_behind_a_trusted_proxy(alice_client, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    alice_client.post(
        SESSIONS,
        {"session_id": "xff-trusted", "platform": "web"},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.23",  # the first entry is the client's claim
    )

    assert UserSession.objects.get().ip_address == "198.51.100.0"


# --- Heartbeat -----------------------------------------------------------------------


def test_a_heartbeat_counts_one_activity_and_moves_the_times(alice, alice_client):
    old = timezone.now() - timedelta(minutes=5)
    session = UserSessionFactory(
        user=alice, activity_count=3, last_heartbeat_at=old, last_activity_at=old
    )
    UserSession.objects.filter(pk=session.pk).update(updated_at=old)

    response = alice_client.post(heartbeat(session.session_id), {})

    assert response.status_code == 200
    session.refresh_from_db()
    assert session.activity_count == 4
    assert session.last_heartbeat_at > old + timedelta(minutes=4)
    assert session.last_activity_at == session.last_heartbeat_at
    assert session.updated_at > old + timedelta(minutes=4)
    assert response.json()["activity_count"] == 4


def test_a_heartbeat_adds_the_given_delta(alice, alice_client):
    session = UserSessionFactory(user=alice, activity_count=10)

    response = alice_client.post(heartbeat(session.session_id), {"activity_count": 5})

    assert response.json()["activity_count"] == 15


def test_a_heartbeat_turns_an_idle_session_active_again(alice, alice_client):
    session = UserSessionFactory(user=alice, status="idle")

    response = alice_client.post(heartbeat(session.session_id))

    assert response.json()["status"] == "active"
    assert UserSession.objects.get().status == "active"


@pytest.mark.parametrize("status", ["ended", "timeout"])
def test_a_heartbeat_on_an_ended_session_is_409(alice, alice_client, status):
    session = UserSessionFactory(user=alice, status=status, activity_count=1)

    response = alice_client.post(heartbeat(session.session_id))

    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "session_ended"
    assert UserSession.objects.get().activity_count == 1


def test_a_heartbeat_on_someone_elses_session_is_404_and_counts_nothing(alice, bob_client):
    session = UserSessionFactory(user=alice, activity_count=1)

    response = bob_client.post(heartbeat(session.session_id))

    assert response.status_code == 404
    assert UserSession.objects.get().activity_count == 1


def test_a_heartbeat_on_an_unknown_session_is_404(alice_client):
    assert alice_client.post(heartbeat("no-such-session")).status_code == 404


@pytest.mark.parametrize("session_id", ["abc%00defgh", "short", "x" * 129, "has%20space1"])
def test_a_session_id_that_cannot_exist_is_a_json_404_on_heartbeat_and_end(
    alice_client, session_id
):
    """The path is checked before any query: a NUL byte was a DataError 500 on PostgreSQL."""
    for url in (heartbeat(session_id), f"/api/v1/user-sessions/{session_id}/end/"):
        response = alice_client.post(url, {"end_reason": "logout"})

        assert response.status_code == 404
        assert response.json()["type"] == "client_error"


@pytest.mark.parametrize("delta", [-1, 10_001, "many", 1.5])
def test_a_bad_heartbeat_delta_is_400(alice, alice_client, delta):
    session = UserSessionFactory(user=alice, activity_count=1)

    response = alice_client.post(heartbeat(session.session_id), {"activity_count": delta})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "activity_count"
    assert UserSession.objects.get().activity_count == 1


def test_activity_count_saturates_instead_of_overflowing(alice, alice_client):
    session = UserSessionFactory(user=alice, activity_count=2**31 - 3)

    response = alice_client.post(heartbeat(session.session_id), {"activity_count": 10})

    assert response.status_code == 200
    assert response.json()["activity_count"] == 2**31 - 1


# --- End ------------------------------------------------------------------------------


def test_end_sets_ended_status_reason_and_duration(alice, alice_client):
    session = UserSessionFactory(user=alice)
    UserSession.objects.filter(pk=session.pk).update(
        started_at=timezone.now() - timedelta(minutes=10)
    )

    response = alice_client.post(end(session.session_id), {"end_reason": "logout"})

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["end_reason"]) == ("ended", "logout")
    assert body["ended_at"] is not None
    assert 600 <= body["total_duration_seconds"] < 610
    session.refresh_from_db()
    assert session.status == "ended" and 600 <= session.total_duration_seconds < 610


def test_ending_twice_is_fine_and_keeps_the_first_end(alice, alice_client):
    session = UserSessionFactory(user=alice)
    first = alice_client.post(end(session.session_id), {"end_reason": "app_close"})

    again = alice_client.post(end(session.session_id), {"end_reason": "crash"})

    assert again.status_code == 200
    assert again.json()["end_reason"] == "app_close"
    assert again.json()["ended_at"] == first.json()["ended_at"]


def test_ending_a_timed_out_session_answers_it_as_it_is(alice, alice_client):
    session = UserSessionFactory(user=alice, status="timeout", end_reason="timeout")

    response = alice_client.post(end(session.session_id), {"end_reason": "logout"})

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["end_reason"]) == ("timeout", "timeout")


@pytest.mark.parametrize("reason", ["timeout", "bored", None])
def test_a_bad_end_reason_is_400(alice, alice_client, reason):
    session = UserSessionFactory(user=alice)

    response = alice_client.post(end(session.session_id), {"end_reason": reason}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "end_reason"
    assert UserSession.objects.get().status == "active"


def test_ending_someone_elses_session_is_404(alice, bob_client):
    session = UserSessionFactory(user=alice)

    response = bob_client.post(end(session.session_id), {"end_reason": "logout"})

    assert response.status_code == 404
    assert UserSession.objects.get().status == "active"


# --- List -----------------------------------------------------------------------------


def _started(session, minutes_ago):
    UserSession.objects.filter(pk=session.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_the_list_shows_only_my_sessions_newest_first(alice, alice_client):
    older = UserSessionFactory(user=alice, session_id="older-session")
    newer = UserSessionFactory(user=alice, session_id="newer-session")
    _started(older, 30)
    _started(newer, 5)
    UserSessionFactory(session_id="someone-elses")

    response = alice_client.get(SESSIONS)

    assert response.status_code == 200
    ids = [row["session_id"] for row in response.json()["results"]]
    assert ids == ["newer-session", "older-session"]


def test_the_list_filters_by_platform_and_status(alice, alice_client):
    UserSessionFactory(user=alice, session_id="web-active", platform="web")
    UserSessionFactory(user=alice, session_id="web-ended", platform="web", status="ended")
    UserSessionFactory(user=alice, session_id="ios-active", platform="ios-internal")

    web = alice_client.get(SESSIONS, {"platform": "web"}).json()["results"]
    active_web = alice_client.get(SESSIONS, {"platform": "web", "status": "active"}).json()

    assert {row["session_id"] for row in web} == {"web-active", "web-ended"}
    assert [row["session_id"] for row in active_web["results"]] == ["web-active"]


@pytest.mark.parametrize(
    "params, attr", [({"platform": "tv"}, "platform"), ({"status": "x"}, "status")]
)
def test_a_bad_list_filter_is_400(alice_client, params, attr):
    response = alice_client.get(SESSIONS, params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == attr


def test_the_list_is_cursor_paginated(alice, alice_client):
    for n in range(5):
        _started(UserSessionFactory(user=alice, session_id=f"paged-session-{n}"), 50 - n)

    first = alice_client.get(SESSIONS, {"page_size": 2}).json()
    second = alice_client.get(first["next"]).json()
    third = alice_client.get(second["next"]).json()

    seen = [row["session_id"] for page in (first, second, third) for row in page["results"]]
    assert seen == [f"paged-session-{n}" for n in (4, 3, 2, 1, 0)]
    assert third["next"] is None


def test_the_list_costs_two_queries_whatever_the_page_holds(
    alice, alice_client, django_assert_num_queries
):
    UserSessionFactory.create_batch(3, user=alice)
    alice_client.get(SESSIONS)  # the profile exists and was just seen
    with django_assert_num_queries(2):  # the caller's profile, the page
        small = alice_client.get(SESSIONS)
    UserSessionFactory.create_batch(40, user=alice)

    with django_assert_num_queries(2):
        large = alice_client.get(SESSIONS)

    assert len(small.json()["results"]) == 3 and len(large.json()["results"]) == 43


# --- Summary --------------------------------------------------------------------------


def test_the_summary_is_the_seeds_active_sessions_view_per_platform(user_client_for):
    admin_client = user_client_for(UserProfileFactory(role="admin"))
    now = timezone.now()
    rows = [
        ("web", now - timedelta(minutes=10), now - timedelta(minutes=1)),
        ("web", now - timedelta(minutes=30), now - timedelta(minutes=2)),
        ("ios-external", now - timedelta(minutes=60), now - timedelta(minutes=5)),
    ]
    for platform, started, last in rows:
        session = UserSessionFactory(platform=platform)
        UserSession.objects.filter(pk=session.pk).update(started_at=started, last_activity_at=last)
    UserSessionFactory(platform="web", status="ended")  # not active: not counted

    response = admin_client.get(SUMMARY)

    assert response.status_code == 200
    platforms = {row["platform"]: row for row in response.json()["platforms"]}
    assert set(platforms) == {"web", "ios-external"}
    web = platforms["web"]
    assert web["active_count"] == 2
    assert 19.9 <= web["avg_session_minutes"] <= 20.5  # (10 + 30) / 2
    assert web["oldest_session"] is not None and web["latest_activity"] is not None
    assert platforms["ios-external"]["active_count"] == 1
    assert 59.9 <= platforms["ios-external"]["avg_session_minutes"] <= 60.5


def test_the_summary_is_one_query_after_authentication(user_client_for, django_assert_num_queries):
    admin_client = user_client_for(UserProfileFactory(role="admin"))
    UserSessionFactory.create_batch(5, platform="web")
    UserSessionFactory.create_batch(5, platform="ios-widget")
    admin_client.get(SUMMARY)

    with django_assert_num_queries(2):  # profile + one aggregate
        response = admin_client.get(SUMMARY)

    assert len(response.json()["platforms"]) == 2


def test_the_summary_is_for_admins_only(alice_client):
    response = alice_client.get(SUMMARY)

    assert response.status_code == 403


def test_deleting_a_profile_deletes_its_sessions(alice):
    UserSessionFactory.create_batch(2, user=alice)

    UserProfile.objects.filter(pk=alice.pk).delete()

    assert UserSession.objects.count() == 0


def test_summary_and_session_routes_do_not_collide(alice, alice_client):
    """A session whose id is "summary" is still reachable under its own routes."""
    UserSessionFactory(user=alice, session_id="summary-lookalike")

    response = alice_client.post(heartbeat("summary-lookalike"))

    assert response.status_code == 200
    assert uuid.UUID(response.json()["id"])
