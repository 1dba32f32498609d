"""User sessions under concurrency: the database decides."""

import uuid

import pytest

from sessions_app.models import UserSession
from tests.sessions_app.factories import UserProfileFactory, UserSessionFactory
from tests.threads import run_in_threads
from tests.tokens import bearer_client, hs256_token

SESSIONS = "/api/v1/user-sessions/"


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_heartbeats_add_exactly_fifty(supabase):
    session = UserSessionFactory(activity_count=7)
    token = hs256_token(session.user_id, supabase_url=supabase.SUPABASE_URL)
    url = f"{SESSIONS}{session.session_id}/heartbeat/"

    statuses = run_in_threads(50, lambda _i: bearer_client(token).post(url, {}).status_code)

    assert statuses == [200] * 50
    session.refresh_from_db()
    assert session.activity_count == 7 + 50


@pytest.mark.django_db(transaction=True)
def test_concurrent_heartbeats_with_deltas_all_count(supabase):
    session = UserSessionFactory(activity_count=0, status="idle")
    token = hs256_token(session.user_id, supabase_url=supabase.SUPABASE_URL)
    url = f"{SESSIONS}{session.session_id}/heartbeat/"

    run_in_threads(20, lambda i: bearer_client(token).post(url, {"activity_count": i}))

    session.refresh_from_db()
    assert session.activity_count == sum(range(20))
    assert session.status == "active"


@pytest.mark.django_db(transaction=True)
def test_concurrent_starts_of_one_session_id_make_one_row(supabase):
    profile = UserProfileFactory()
    token = hs256_token(profile.pk, supabase_url=supabase.SUPABASE_URL)

    def start(_i):
        response = bearer_client(token).post(
            SESSIONS, {"session_id": "same-session-id", "platform": "web"}
        )
        return response.status_code, response.json()["id"]

    results = run_in_threads(16, start)

    assert sorted(code for code, _ in results) == [200] * 15 + [201]
    assert len({row_id for _, row_id in results}) == 1
    assert UserSession.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_users_racing_for_one_session_id_one_wins_the_other_gets_409(supabase):
    users = [uuid.uuid4(), uuid.uuid4()]
    for user in users:
        UserProfileFactory(id=user)
    tokens = [hs256_token(u, supabase_url=supabase.SUPABASE_URL) for u in users]

    def start(i):
        response = bearer_client(tokens[i % 2]).post(
            SESSIONS, {"session_id": "contested-id", "platform": "web"}
        )
        return i % 2, response.status_code

    results = run_in_threads(10, start)

    winner = UserSession.objects.get().user_id
    for user_index, code in results:
        if users[user_index] == winner:
            assert code in (200, 201)
        else:
            assert code == 409
    assert sum(code == 201 for _, code in results) == 1
