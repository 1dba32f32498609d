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
