"""A failed request is one structured log line (request id, route, error class,
duration); a traceback only for the unexpected; secrets and query values never."""

import logging

import pytest
from django.db import DataError
from django.test import Client
from django.urls import path

from common.logging import OneLineFormatter
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db


def _boom(request, n):
    raise RuntimeError("something nobody expected")


def _boom_after_a_database_error(request):
    try:
        raise DataError('invalid input syntax for type uuid: "secret-value-42"')
    except DataError as exc:
        raise RuntimeError("wrapped") from exc


urlpatterns = [
    path("boom/<int:n>", _boom),
    path("boom-db", _boom_after_a_database_error),
    *__import__("config.urls").urls.urlpatterns,
]


def failed_lines(caplog):
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_request_error_is_one_log_line_with_the_request_id(api_client, caplog):
    caplog.set_level(logging.INFO)

    api_client.get("/session/restore", HTTP_X_REQUEST_ID="req-42")

    [record] = failed_lines(caplog)
    assert record.name == "common.requests"
    assert record.request_id == "req-42"
    assert record.getMessage().startswith(
        "request_failed method=GET route=session/restore status=400 error=ValidationError "
        "duration_ms="
    )
    assert record.duration_ms >= 0
    assert record.exc_info is None


def test_the_line_names_the_route_never_the_query_values(api_client_with_key, caplog):
    """Also when the value is one PostgreSQL refuses (its error would quote it)."""
    caplog.set_level(logging.INFO)
    secret_value = "2026-01-01T00:00:00+20:00"

    api_client_with_key.get(
        "/api/v1/ai-sessions/", {"created_after": secret_value, "user_id": "who-knows-7"}
    )
    api_client_with_key.get("/api/v1/ai-sessions/not-a-uuid/interactions/", {"cursor": "zzz"})

    logged = "\n".join(caplog.text.splitlines())
    assert "+20:00" not in logged and "who-knows-7" not in logged and "zzz" not in logged
    assert "Traceback" not in logged
    assert failed_lines(caplog)
    assert all(r.exc_info is None for r in failed_lines(caplog))


@pytest.mark.urls(__name__)
def test_an_unexpected_exception_is_one_line_with_its_traceback(caplog):
    caplog.set_level(logging.INFO)

    response = Client(raise_request_exception=False).get("/boom/7")

    assert response.status_code == 500
    [record] = failed_lines(caplog)
    assert record.levelno == logging.ERROR
    assert "route=boom/<int:n> status=500 error=RuntimeError" in record.getMessage()
    assert record.exc_info is not None and record.exc_info[0] is RuntimeError


@pytest.mark.urls(__name__)
def test_no_traceback_when_a_database_error_is_in_the_chain(caplog):
    caplog.set_level(logging.INFO)

    response = Client(raise_request_exception=False).get("/boom-db")

    assert response.status_code == 500
    [record] = failed_lines(caplog)
    assert "error=RuntimeError" in record.getMessage()
    assert record.exc_info is None
    assert "secret-value-42" not in caplog.text


def test_an_unmatched_path_is_logged_without_the_path(api_client, caplog):
    caplog.set_level(logging.INFO)

    api_client.get("/no/such/place-secret")

    [record] = failed_lines(caplog)
    assert "route=<unmatched> status=404" in record.getMessage()
    assert "place-secret" not in caplog.text


def test_tokens_and_keys_never_reach_the_logs(api_client, api_client_with_key, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    started = api_client_with_key.post(
        "/session/start",
        {"phone": "+919876543210", "channel": "kiosk", "customer_id": "103"},
        format="json",
    )
    token = started.json()["session_token"]
    api_client.get("/session/restore", HTTP_X_SESSION_TOKEN=token)
    api_client.post("/session/update", {"metadata": 1}, format="json", HTTP_X_SESSION_TOKEN=token)
    api_client.post("/session/end", HTTP_X_SESSION_TOKEN=token)
    other = CustomerSessionFactory()
    api_client.get("/session/restore", HTTP_X_SESSION_TOKEN=other.session_token + "x")

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert token not in logged
    assert api_key not in logged
    assert other.session_token not in logged


def test_the_formatter_keeps_a_traceback_on_the_same_line():
    formatter = OneLineFormatter("%(levelname)s %(message)s")
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, True)
        import sys

        record.exc_info = sys.exc_info()

    line = formatter.format(record)

    assert "\n" not in line
    assert line.startswith("ERROR failed") and "ValueError: boom" in line
