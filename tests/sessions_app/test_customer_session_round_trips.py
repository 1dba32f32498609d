"""Round trips to the database of the hot customer-session routes, as production
sends them (autocommit, no test transaction around the request): every SQL
statement Django sends is one round trip, BEGIN and COMMIT included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def test_restore_is_one_update_returning(api_client):
    session = CustomerSessionFactory()

    with CaptureQueriesContext(connection) as queries:
        response = api_client.get("/session/restore", HTTP_X_SESSION_TOKEN=session.session_token)

    assert response.status_code == 200
    sql = statements(queries)
    assert len(sql) == 1 and sql[0].startswith("UPDATE") and "RETURNING" in sql[0], sql


def test_start_of_a_new_phone_is_the_key_check_and_one_insert(api_client_with_key):
    with CaptureQueriesContext(connection) as queries:
        response = api_client_with_key.post(
            "/session/start",
            {"phone": "+919876543210", "channel": "kiosk", "customer_id": "c1"},
            format="json",
        )

    assert response.status_code == 201
    sql = statements(queries)
    assert len(sql) == 2, sql
    assert "rest_framework_api_key_apikey" in sql[0]
    assert sql[1].startswith("INSERT") and "ON CONFLICT" in sql[1], sql


def test_start_of_a_phone_with_a_session_is_the_key_check_and_one_upsert(api_client_with_key):
    session = CustomerSessionFactory(phone="+919876543210")

    with CaptureQueriesContext(connection) as queries:
        response = api_client_with_key.post(
            "/session/start",
            {"phone": "+919876543210", "channel": "whatsapp", "customer_id": "c1"},
            format="json",
        )

    assert response.status_code == 200
    assert response.json()["session_token"] == session.session_token
    assert len(statements(queries)) == 2, statements(queries)


def test_update_is_one_update_returning(api_client):
    session = CustomerSessionFactory(metadata={"cart": [1], "step": 1})

    with CaptureQueriesContext(connection) as queries:
        response = api_client.post(
            "/session/update",
            {"metadata": {"step": None, "lang": "hi"}},
            format="json",
            HTTP_X_SESSION_TOKEN=session.session_token,
        )

    assert response.status_code == 200
    assert response.json()["session"]["metadata"] == {"cart": [1], "lang": "hi"}
    sql = statements(queries)
    assert len(sql) == 1 and sql[0].startswith("UPDATE") and "RETURNING" in sql[0], sql


@pytest.mark.postgres
def test_a_busy_connection_skips_the_per_request_health_check(monkeypatch):
    """CONN_HEALTH_CHECKS' SELECT 1 runs on a connection idle for a while, not
    before the first query of every request on a busy one."""
    checks = []
    is_usable = connection.is_usable
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or is_usable())

    def request() -> None:  # what Django does around each request
        connection.close_if_unusable_or_obsolete()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

    connection.ensure_connection()
    for _ in range(3):
        request()
    busy = len(checks)
    monkeypatch.setattr(connection, "_health_checked_at", float("-inf"))  # idle for long
    request()

    assert (busy, len(checks)) == (0, 1)
    assert connection.settings_dict["HEALTH_CHECK_IDLE_SECONDS"] > 0
