"""Request errors are logged on one line with the request id; secrets never are."""

import logging

import pytest

from common.logging import OneLineFormatter
from tests.sessions_app.factories import CustomerSessionFactory

pytestmark = pytest.mark.django_db


def test_a_request_error_is_one_log_line_with_the_request_id(api_client, caplog):
    caplog.set_level(logging.WARNING, logger="django.request")

    api_client.get("/session/restore", HTTP_X_REQUEST_ID="req-42")

    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].request_id == "req-42"
    assert records[0].status_code == 400


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
