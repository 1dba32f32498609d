"""Summary, analytics and the CSV report: known events give known figures everywhere."""

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.usage.conftest import event
from usage.selectors import usage_report_csv
from usage.selectors.analytics import _report_csv_lines
from usage.services import usage_events_ingest

pytestmark = pytest.mark.django_db
SUMMARY = "/api/v1/usage/summary/"
ANALYTICS = "/api/v1/usage/analytics/"
REPORT = "/api/v1/usage/report.csv"
PERIOD = {"from": "2026-05-01", "to": "2026-05-03"}
MINI_USAGE = {"input_tokens": 1000, "output_tokens": 1000}  # gpt-4o-mini: $0.00075


@pytest.fixture
def known(alice):
    """Alice: two gpt-4o calls on May 1, one gpt-4o-mini embeddings... on May 3, one
    unpriced call on May 3; Bob: three gpt-4o calls on May 2; one call outside."""
    alice_id = str(alice.pk)
    usage_events_ingest(
        events=[
            event(user_id=alice_id, created_at="2026-05-01T08:00:00Z"),
            event(user_id=alice_id, created_at="2026-05-01T09:00:00Z", status="error"),
            event(
                user_id=alice_id,
                created_at="2026-05-03T10:00:00Z",
                model="gpt-4o-mini",
                service="chat",
                usage={"prompt_tokens": 1000, "completion_tokens": 1000},
            ),
            event(user_id=alice_id, created_at="2026-05-03T11:00:00Z", model="ft:private"),
            *[event(user_id="bob", created_at="2026-05-02T12:00:00Z") for _ in range(3)],
            event(user_id=alice_id, created_at="2026-04-30T23:59:59Z"),
        ]
    )
    return alice_id


def test_a_user_sees_exact_totals_and_every_day(alice_client, known):
    body = alice_client.get(SUMMARY, PERIOD).json()

    assert (body["from"], body["to"]) == ("2026-05-01", "2026-05-03")
    assert body["totals"] == {
        "calls": 4,
        "input_tokens": 4000,
        "cached_input_tokens": 600,
        "output_tokens": 1300,
        "reasoning_output_tokens": 0,
        "cost_usd": "0.007250000000",  # 2 x 0.00325 + 0.00075; the unpriced call adds 0
        "unpriced_calls": 1,
    }
    assert [d["date"] for d in body["by_day"]] == ["2026-05-01", "2026-05-02", "2026-05-03"]
    assert body["by_day"][1]["calls"] == 0 and body["by_day"][1]["cost_usd"] == "0.000000000000"
    assert [m["model"] for m in body["by_model"]] == ["gpt-4o", "gpt-4o-mini", "ft:private"]
    assert {s["service"]: s["calls"] for s in body["by_service"]} == {"responses": 3, "chat": 1}


def test_the_summary_is_one_query(alice, alice_client, known):
    with CaptureQueriesContext(connection) as queries:
        alice_client.get(SUMMARY, PERIOD)

    usage_queries = [q for q in queries.captured_queries if "usage_daily" in q["sql"]]
    assert len(usage_queries) == 1
    assert not [q for q in queries.captured_queries if "usage_logs" in q["sql"]]


def test_a_user_cannot_read_another_users_summary(alice_client, known):
    assert alice_client.get(SUMMARY, {**PERIOD, "user_id": "bob"}).status_code == 403


def test_admins_and_api_keys_name_the_user(admin_client, api_client_with_key, known):
    by_admin = admin_client.get(SUMMARY, {**PERIOD, "user_id": "bob"}).json()
    by_key = api_client_with_key.get(SUMMARY, {**PERIOD, "user_id": "bob"}).json()
    missing = api_client_with_key.get(SUMMARY, PERIOD)

    assert by_admin["totals"]["calls"] == by_key["totals"]["calls"] == 3
    assert missing.status_code == 400 and missing.json()["errors"][0]["attr"] == "user_id"


def test_analytics_over_all_users_with_top_users_and_models(admin_client, known):
    body = admin_client.get(ANALYTICS, PERIOD).json()

    assert body["totals"]["calls"] == 7
    assert body["totals"]["cost_usd"] == "0.017000000000"  # 5 x 0.00325 + 0.00075
    assert [d["calls"] for d in body["by_day"]] == [2, 3, 2]
    assert body["top_users"][0] == {"user_id": "bob", "calls": 3, "cost_usd": "0.009750000000"}
    assert [m["model"] for m in body["top_models"]] == ["gpt-4o", "gpt-4o-mini", "ft:private"]
    assert len(admin_client.get(ANALYTICS, {**PERIOD, "limit": 1}).json()["top_users"]) == 1


def test_the_csv_report_sums_to_the_analytics_total(admin_client, known):
    response = admin_client.get(REPORT, PERIOD)
    total = admin_client.get(ANALYTICS, PERIOD).json()["totals"]["cost_usd"]

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0]) == [
        "user_id",
        "model",
        "calls",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
        "cost_usd",
        "unpriced_calls",
    ]
    assert len(rows) == 4  # alice x 3 models, bob x 1
    assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal(total)
    assert sum(int(r["unpriced_calls"]) for r in rows) == 1


def test_analytics_and_the_report_are_for_admins_only(alice_client, api_client_with_key, known):
    # A user without the admin role: 403; an API key is not a signed-in user: 401.
    for client, refused in ((alice_client, 403), (api_client_with_key, 401)):
        assert client.get(ANALYTICS, PERIOD).status_code == refused
        assert client.get(REPORT, PERIOD).status_code == refused


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-05-03", "to": "2026-05-01"},
        {"from": "2025-01-01", "to": "2026-05-01"},
        {"from": "May 1st"},
        {"limit": 101},
    ],
)
def test_bad_periods_and_limits_are_400(admin_client, params):
    response = admin_client.get(ANALYTICS, params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] in {"from", "limit"}


def test_the_default_period_is_the_last_30_days(alice_client, known):
    body = alice_client.get(SUMMARY).json()

    assert len(body["by_day"]) == 30
    assert body["to"] == datetime.now(UTC).date().isoformat()


def test_staff_download_the_report_from_their_admin_session(staff_client, known):
    response = staff_client.get(REPORT, PERIOD)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().count("\n") == 5  # header + 4


@pytest.mark.postgres
def test_postgresql_writes_the_report_byte_for_byte_as_the_python_writer(admin_client):
    # Cells that need quoting, a call without a user, one without a price, a model
    # name that sorts differently by code point than by a language's collation.
    usage_events_ingest(
        events=[
            event(user_id='shop "north", 2', created_at="2026-05-01T08:00:00Z"),
            event(user_id="Zed", created_at="2026-05-02T08:00:00Z", model="ft:private"),
            event(user_id="alice", created_at="2026-05-02T09:00:00Z", model="gpt-4o-mini"),
            event(created_at="2026-05-03T10:00:00Z"),
            event(user_id="alice", created_at="2026-05-03T11:00:00Z", status="error"),
        ]
    )
    start, end = date(2026, 4, 20), date(2026, 5, 20)

    by_postgres = b"".join(usage_report_csv(start=start, end=end))
    by_python = b"".join(_report_csv_lines(start, end))
    response = admin_client.get(REPORT, {"from": start, "to": end})

    assert by_postgres == by_python
    assert b"".join(response.streaming_content) == by_postgres
    lines = by_postgres.decode().splitlines()
    assert lines[1].startswith(",gpt-4o,1,")  # no user: an empty cell, first
    assert lines[-1].startswith('"shop ""north"", 2",gpt-4o,1,')
    assert [line.split(",")[0] for line in lines[2:5]] == ["Zed", "alice", "alice"]
