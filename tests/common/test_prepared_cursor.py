"""common.db.prepared_cursor: fixed SQL parsed and planned once per connection
where prepared statements are allowed; an ordinary cursor everywhere else."""

import uuid

import pytest
from django.db import connection

from common.db import prepared_cursor
from interactions.services import ai_interaction_log

USAGE = {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}


def _prepared(statement_start: str) -> int:
    """How many statements starting so this connection has prepared on the server."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            [statement_start + "%"],
        )
        (count,) = cursor.fetchone()
    return count


def _allowed() -> bool:
    """Off through a transaction pooler (CI's PgBouncer run), on for a direct URL."""
    return bool(connection.settings_dict.get("PREPARED_STATEMENTS"))


@pytest.mark.django_db
def test_the_answers_are_those_of_an_ordinary_cursor():
    for i in range(3):
        with prepared_cursor() as cursor:
            cursor.execute("SELECT %s + 1, %s", [i, f"text {i}"])
            assert cursor.fetchone() == (i + 1, f"text {i}")


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_long_statement_answers_each_call_with_its_own_values():
    """Statements over psycopg's 4 KB cache limit keep their converted text here,
    prepared or not; the values of each call are still its own."""
    from common.db_backends.postgresql import base

    conversion = base._server_conversion if _allowed() else base._client_conversion
    padding = " + 0" * 1500  # 6 KB of text
    statement = f"SELECT %s::int * 2{padding}, %s::text"
    before = conversion.cache_info()
    for i in range(4):
        with prepared_cursor() as cursor:
            cursor.execute(statement, [i, f"call {i}"])
            assert cursor.fetchone() == (i * 2, f"call {i}")

    after = conversion.cache_info()
    assert after.misses - before.misses <= 1
    assert after.hits - before.hits >= 3


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_is_prepared_once_and_reused_where_allowed():
    for i in range(3):
        with prepared_cursor() as cursor:
            cursor.execute("SELECT %s::int * 7", [i])
            assert cursor.fetchone() == (i * 7,)

    assert _prepared("SELECT $1::int * 7") == (1 if _allowed() else 0)


@pytest.mark.postgres
@pytest.mark.django_db
def test_turned_off_it_prepares_nothing(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PREPARED_STATEMENTS", False)
    for i in range(3):
        with prepared_cursor() as cursor:
            cursor.execute("SELECT %s::int * 11", [i])
            assert cursor.fetchone() == (i * 11,)

    assert _prepared("SELECT $1::int * 11") == 0


@pytest.mark.postgres
@pytest.mark.django_db
def test_logging_interactions_parses_their_statement_once_per_connection():
    """The statement that writes an interaction with its usage is about 10 KB: where
    allowed, PostgreSQL parses and plans it once, and every later call only binds."""
    session_id = uuid.uuid4()
    for n in range(3):
        logged = ai_interaction_log(
            session_id=session_id,
            prompt=f"question {n}",
            response="answer",
            model_used="gpt-4o",
            usage=USAGE,
            openai_response_id=f"resp-prepared-{n}",
        )
        assert not logged.duplicate and logged.usage_log.cost_usd is not None

    assert _prepared("WITH s AS (INSERT INTO") == (1 if _allowed() else 0)


@pytest.mark.postgres
@pytest.mark.django_db
def test_hot_routes_answer_the_same_with_generic_plans(client, api_key):
    """PostgreSQL may run a prepared statement with a generic plan (after five
    executions, or always with ``force_generic_plan``): starts, restores,
    updates and logged interactions keep their answers then."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    headers = {"HTTP_X_API_KEY": api_key}
    for n in range(7):
        phone = f"+9198765430{n:02d}"
        started = client.post(
            "/session/start",
            {"phone": phone, "channel": "kiosk", "customer_id": f"c{n}"},
            content_type="application/json",
            **headers,
        )
        again = client.post(
            "/session/start",
            {"phone": phone, "channel": "whatsapp", "customer_id": f"c{n}"},
            content_type="application/json",
            **headers,
        )
        token = started.json()["session_token"]
        assert (started.status_code, again.status_code) == (201, 200)
        first_id = started.json()["session"]["session_id"]
        assert again.json()["session"]["session_id"] == first_id

        restored = client.get("/session/restore", HTTP_X_SESSION_TOKEN=token)
        updated = client.post(
            "/session/update",
            {"metadata": {"step": n}},
            content_type="application/json",
            HTTP_X_SESSION_TOKEN=token,
        )
        assert restored.json()["session"]["session_id"] == first_id
        assert updated.json()["session"]["metadata"] == {"step": n}

        logged = ai_interaction_log(
            session_id=uuid.uuid4(),
            prompt="question",
            response="answer",
            model_used="gpt-4o",
            usage=USAGE,
            openai_response_id=f"resp-generic-{n}",
            user_id=f"user-{n % 2}",
        )
        assert logged.usage_log.user_id == f"user-{n % 2}"
    assert client.get("/session/restore", HTTP_X_SESSION_TOKEN="x" * 43).status_code == 404
