"""Round trips to the database of ``POST /api/v1/interactions/`` as production sends
them (autocommit, no test transaction around the request): every statement is one
round trip, BEGIN and COMMIT included."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from interactions.models import AIInteraction, AISession
from tests.interactions.factories import AISessionFactory
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from usage.models import UsageLog
from usage.services.rollups import LEVELS

pytestmark = pytest.mark.django_db(transaction=True)


def log(client, session_id, **extra):
    body = {
        "session_id": str(session_id),
        "prompt": "Do you have running shoes in size 9?",
        "response": "Yes, in blue and black.",
        "model_used": "gpt-4o",
        "usage": GPT4O_CHAT_USAGE,
        "openai_response_id": f"chatcmpl-{uuid.uuid4().hex}",
        **extra,
    }
    return client.post("/api/v1/interactions/", body, format="json")


@pytest.mark.parametrize("new_session", [True, False])
def test_an_interaction_with_usage_is_the_key_check_and_one_statement(
    api_client_with_key, new_session
):
    """PostgreSQL: the key check, then ONE statement, atomic on its own (no BEGIN,
    no COMMIT): session upsert, interaction, usage row, the rollup levels and the
    owner's budgets. SQLite: one transaction with the three INSERTs, one upsert
    per rollup level and the budgets."""
    session_id = uuid.uuid4() if new_session else AISessionFactory(user_id="u1").pk

    with CaptureQueriesContext(connection) as queries:
        response = log(api_client_with_key, session_id, user_id="u2")

    assert response.status_code == 201, response.content
    sql = [q["sql"] for q in queries.captured_queries]
    assert "rest_framework_api_key_apikey" in sql[0], sql
    # SQLite's usage insert runs in a savepoint of the same transaction.
    kinds = [s.split()[0] for s in sql[1:] if not s.startswith(("SAVEPOINT", "RELEASE"))]
    if connection.vendor == "postgresql":
        assert kinds == ["WITH"], sql
        assert len(sql) == 2  # round trips: the key check and the statement
    else:
        rollups = ["INSERT"] * len(LEVELS)  # one upsert per rollup level
        assert kinds == ["BEGIN", *["INSERT"] * 3, *rollups, "SELECT", "COMMIT"], sql
    session = AISession.objects.get(pk=session_id)
    usage = UsageLog.objects.get()
    assert (session.interaction_count, AIInteraction.objects.count()) == (1, 1)
    # The usage row belongs to the session's owner; another user_id sent is kept aside.
    assert usage.user_id == session.user_id == ("u2" if new_session else "u1")
    assert usage.metadata.get("requested_user_id") == (None if new_session else "u2")
    assert response.json()["usage"]["total_tokens"] == 1500


def test_a_repeated_request_id_writes_nothing_in_the_same_round_trips(api_client_with_key):
    session_id = uuid.uuid4()
    first = log(api_client_with_key, session_id, openai_response_id="chatcmpl-1")

    again = log(api_client_with_key, session_id, openai_response_id="chatcmpl-1")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and again.json()["id"] == first.json()["id"]
    assert AIInteraction.objects.count() == UsageLog.objects.count() == 1
    assert AISession.objects.get(pk=session_id).interaction_count == 1


def test_an_owner_with_a_budget_adds_one_statement_the_budget_check(api_client_with_key):
    """PostgreSQL: the key check, the statement, and (a budget applies) the budget
    check with its alerts: three round trips. SQLite: the Python check in the
    transaction."""
    from usage.models import UsageAlert
    from usage.services import budget_create

    budget_create(user_id="u1", limit_usd="0.000001", window="daily")
    session_id = AISessionFactory(user_id="u1").pk

    with CaptureQueriesContext(connection) as queries:
        response = log(api_client_with_key, session_id)

    assert response.status_code == 201 and response.json()["budget_exceeded"] is True
    assert UsageAlert.objects.filter(user_id="u1").count() == 2  # 80 % and 95 %
    if connection.vendor == "postgresql":
        kinds = [q["sql"].split()[0] for q in queries.captured_queries]
        assert kinds[1:] == ["WITH", "WITH"], kinds
