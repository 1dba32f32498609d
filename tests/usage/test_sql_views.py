"""The SQL editor's views (PostgreSQL): per-user totals from the rollup, chat sessions
with message counts."""

from decimal import Decimal

import pytest
from django.db import connection

from interactions.services import ai_interaction_log
from tests.usage.conftest import event
from usage.services import usage_events_ingest

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def rows(sql: str) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_user_usage_summary_totals_each_user():
    usage_events_ingest(
        events=[
            event(user_id="u1", created_at="2026-05-01T10:00:00Z"),
            event(user_id="u1", created_at="2026-05-02T10:00:00Z"),
            event(created_at="2026-05-02T10:00:00Z"),  # no user: not in the view
        ]
    )

    (row,) = rows("SELECT * FROM user_usage_summary")

    assert row["user_id"] == "u1" and row["calls"] == 2 and row["active_days"] == 2
    assert row["cost_usd"] == Decimal("0.0065")
    assert str(row["first_day"]) == "2026-05-01"


def test_chat_sessions_summary_counts_messages():
    for _ in range(3):
        ai_interaction_log(
            session_id="8d0c1f0e-0000-4000-8000-0000000000ee", prompt="p", response="r"
        )

    (row,) = rows("SELECT session_id, message_count FROM chat_sessions_summary")

    assert str(row["session_id"]) == "8d0c1f0e-0000-4000-8000-0000000000ee"
    assert row["message_count"] == 3


def test_the_views_run_with_the_callers_rights():
    options = rows(
        "SELECT relname, reloptions FROM pg_class "
        "WHERE relname IN ('user_usage_summary', 'chat_sessions_summary')"
    )

    assert {r["relname"]: r["reloptions"] for r in options} == {
        "user_usage_summary": ["security_invoker=true"],
        "chat_sessions_summary": ["security_invoker=true"],
    }
