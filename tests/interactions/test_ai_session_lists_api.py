"""``GET /api/v1/ai-sessions/`` and ``GET /api/v1/ai-sessions/{id}/interactions/``."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from interactions.services import ai_interaction_log
from tests.interactions.factories import AIInteractionFactory, AISessionFactory
from tests.interactions.helpers import ALICE, BOB, GPT4O_CHAT_USAGE
from tests.usage.factories import UsageLogFactory

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/ai-sessions/"


def history(session_id) -> str:
    return f"/api/v1/ai-sessions/{session_id}/interactions/"


def session_ids(response) -> list[str]:
    return [row["session_id"] for row in response.json()["results"]]


def test_sessions_come_newest_activity_first_with_their_totals(api_client_with_key):
    now = timezone.now()
    old = AISessionFactory(updated_at=now - timedelta(days=2))
    recent = AISessionFactory(updated_at=now - timedelta(hours=1))
    for _ in range(2):
        ai_interaction_log(
            session_id=old.pk, prompt="p", response="r", model_used="gpt-4o", usage=GPT4O_CHAT_USAGE
        )
    UsageLogFactory(ai_session=old, request_model="mystery", cost_usd=None, price_unknown=True)

    response = api_client_with_key.get(SESSIONS)

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["session_id"] for r in rows] == [str(old.pk), str(recent.pk)]  # old was just active
    first = rows[0]
    assert first["interaction_count"] == 2
    assert first["last_interaction_at"] is not None
    assert first["total_tokens"] == 2 * 1500 + 150
    assert Decimal(first["total_cost_usd"]) == 2 * Decimal("0.00472")  # known prices only
    assert rows[1]["interaction_count"] == 0
    assert rows[1]["total_tokens"] == 0 and rows[1]["total_cost_usd"] is None


def test_the_list_is_cursor_paginated(api_client_with_key):
    now = timezone.now()
    sessions = [AISessionFactory(updated_at=now - timedelta(minutes=i)) for i in range(5)]

    first = api_client_with_key.get(SESSIONS, {"page_size": 2})
    second = api_client_with_key.get(first.json()["next"])
    third = api_client_with_key.get(second.json()["next"])

    seen = session_ids(first) + session_ids(second) + session_ids(third)
    assert seen == [str(s.pk) for s in sessions]
    assert third.json()["next"] is None
    assert "cursor=" in first.json()["next"]


def test_filters_by_user_channel_and_date(api_client_with_key):
    now = timezone.now()
    mine = AISessionFactory(user_id="u1", channel="kiosk", created_at=now - timedelta(days=3))
    AISessionFactory(user_id="u2", channel="whatsapp", created_at=now - timedelta(days=1))
    newer = AISessionFactory(user_id="u1", channel="whatsapp", created_at=now)

    by_user = api_client_with_key.get(SESSIONS, {"user_id": "u1"})
    by_channel = api_client_with_key.get(SESSIONS, {"channel": "kiosk"})
    by_date = api_client_with_key.get(
        SESSIONS, {"user_id": "u1", "created_after": (now - timedelta(days=2)).isoformat()}
    )

    assert set(session_ids(by_user)) == {str(mine.pk), str(newer.pk)}
    assert session_ids(by_channel) == [str(mine.pk)]
    assert session_ids(by_date) == [str(newer.pk)]


def test_a_bad_filter_value_is_400_naming_it(api_client_with_key):
    response = api_client_with_key.get(SESSIONS, {"created_after": "last tuesday"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "created_after"


@pytest.mark.parametrize(
    "param", ["created_after", "created_before", "active_after", "active_before"]
)
@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-12:00",  # UTC: year 10000
        "0001-01-01T00:00:00+12:00",  # UTC: year 0
    ],
)
def test_a_date_time_outside_utcs_range_is_400_naming_it(api_client_with_key, param, value):
    """It parses, but has no UTC instant: SQLite's adapter raised OverflowError (a 500)."""
    AISessionFactory()

    response = api_client_with_key.get(SESSIONS, {param: value})

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert (error["attr"], error["code"]) == (param, "out_of_range")


def test_the_extreme_date_times_that_exist_in_utc_still_filter(api_client_with_key):
    session = AISessionFactory()

    response = api_client_with_key.get(
        SESSIONS,
        {"created_after": "0001-01-01T00:00:00Z", "created_before": "9999-12-31T23:59:59Z"},
    )

    assert response.status_code == 200
    assert session_ids(response) == [str(session.pk)]


def test_a_signed_in_user_sees_only_their_own_sessions(alice):
    own = AISessionFactory(user_id=ALICE)
    AISessionFactory(user_id=BOB)
    AISessionFactory(user_id=None)

    response = alice.get(SESSIONS)
    asking_for_bob = alice.get(SESSIONS, {"user_id": BOB})

    assert session_ids(response) == [str(own.pk)]
    assert session_ids(asking_for_bob) == []


def test_the_list_needs_credentials(api_client):
    response = api_client.get(SESSIONS)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_list_is_a_constant_number_of_queries(api_client_with_key, django_assert_num_queries):
    def fill(count):
        for _ in range(count):
            session = AISessionFactory()
            AIInteractionFactory(session=session)
            UsageLogFactory(ai_session=session)

    fill(3)
    with django_assert_num_queries(2) as small:  # the API key, the page
        api_client_with_key.get(SESSIONS, {"page_size": 3})
    fill(60)

    with django_assert_num_queries(len(small.captured_queries)):
        response = api_client_with_key.get(SESSIONS, {"page_size": 60})

    assert len(response.json()["results"]) == 60


def test_history_is_oldest_first_and_cursor_paginated(api_client_with_key):
    session = AISessionFactory()
    start = timezone.now() - timedelta(hours=1)
    interactions = [
        AIInteractionFactory(session=session, created_at=start + timedelta(minutes=i))
        for i in range(5)
    ]
    AIInteractionFactory()  # another session's

    first = api_client_with_key.get(history(session.pk), {"page_size": 3})
    second = api_client_with_key.get(first.json()["next"])

    ids = [r["id"] for r in first.json()["results"] + second.json()["results"]]
    assert ids == [str(i.pk) for i in interactions]
    assert first.json()["results"][0]["prompt"] == interactions[0].prompt


def test_history_is_a_constant_number_of_queries(api_client_with_key, django_assert_num_queries):
    session = AISessionFactory()
    AIInteractionFactory.create_batch(3, session=session)
    # The API key, the session, the page, the page's citations.
    with django_assert_num_queries(4) as small:
        api_client_with_key.get(history(session.pk), {"page_size": 3})
    AIInteractionFactory.create_batch(60, session=session)

    with django_assert_num_queries(len(small.captured_queries)):
        response = api_client_with_key.get(history(session.pk), {"page_size": 60})

    assert len(response.json()["results"]) == 60


def test_the_owner_reads_their_history_and_others_get_404(alice, bob):
    session = AISessionFactory(user_id=ALICE)
    AIInteractionFactory(session=session)

    own = alice.get(history(session.pk))
    stranger = bob.get(history(session.pk))

    assert own.status_code == 200 and len(own.json()["results"]) == 1
    assert stranger.status_code == 404
    assert stranger.json()["errors"][0]["code"] == "ai_session_not_found"


def test_history_of_an_unknown_or_malformed_session_is_404(api_client_with_key):
    assert api_client_with_key.get(history(uuid.uuid4())).status_code == 404
    assert api_client_with_key.get("/api/v1/ai-sessions/abc-123/interactions/").status_code == 404


def test_history_needs_credentials(api_client):
    session = AISessionFactory()

    assert api_client.get(history(session.pk)).status_code == 401
