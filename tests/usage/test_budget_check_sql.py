"""PostgreSQL checks budgets in one SQL statement after the usage statement; it must
reach the same verdicts and record the same alerts as the Python check (which SQLite
uses and the quota endpoint shares the rules of), window by window."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions_app.models import UserProfile
from tests.usage.test_budgets import ONE_CALL, spend
from usage.models import UsageAlert
from usage.services import budget_create, usage_budgets_evaluate
from usage.services.budgets import usage_budgets_check

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
NOW = datetime(2026, 6, 10, 9, 30, tzinfo=UTC)  # a Wednesday


def alerts() -> list[tuple]:
    return sorted(
        UsageAlert.objects.values_list(
            "budget_id", "user_id", "threshold", "window_start", "used_usd", "used_tokens"
        )
    )


def both_checks(user_ids: set[str]) -> tuple[set[str], list[tuple]]:
    """The SQL check's verdict and alerts, after asserting that the Python check
    reaches the same on the same rows (alerts recorded while spending are cleared)."""
    UsageAlert.objects.all().delete()
    sql_exceeded = usage_budgets_check(user_ids=sorted(user_ids), now=NOW)
    sql_alerts = alerts()
    UsageAlert.objects.all().delete()
    python_exceeded = usage_budgets_evaluate(user_ids=user_ids, now=NOW)
    assert (sql_exceeded, sql_alerts) == (python_exceeded, alerts())
    return sql_exceeded, sql_alerts


@pytest.mark.parametrize(
    ("window", "extra", "spent", "expected_thresholds", "exceeded"),
    [
        # Today counts; yesterday does not.
        ("daily", {}, [(NOW - timedelta(days=1), 5), (NOW, 8)], ["0.8000"], False),
        # From Monday 00:00; Sunday does not count.
        (
            "weekly",
            {},
            [(datetime(2026, 6, 7, 23, tzinfo=UTC), 9), (datetime(2026, 6, 8, tzinfo=UTC), 10)],
            ["0.8000", "0.9500"],
            True,
        ),
        # From the 1st; May does not count.
        ("monthly", {}, [(datetime(2026, 5, 31, 23, tzinfo=UTC), 9), (NOW, 4)], [], False),
        # The last 2 x 24 hours: a partial first day read from the raw rows.
        (
            "rolling",
            {"window_days": 2},
            [
                (NOW - timedelta(days=2, hours=1), 5),  # before the window
                (NOW - timedelta(days=2) + timedelta(hours=1), 3),  # partial first day
                (NOW - timedelta(days=1), 4),
                (NOW, 1),
            ],
            ["0.8000"],
            False,
        ),
    ],
)
def test_every_window_gives_the_same_verdict_and_alerts(
    window, extra, spent, expected_thresholds, exceeded
):
    budget = budget_create(user_id="u1", limit_usd=10 * ONE_CALL, window=window, **extra)
    for at, calls in spent:
        spend("u1", calls, at)

    verdict, recorded = both_checks({"u1"})

    assert verdict == ({"u1"} if exceeded else set())
    assert [(b, str(t)) for b, _u, t, *_ in recorded] == [
        (budget.pk, t) for t in expected_thresholds
    ]


def test_role_budgets_and_own_budgets_as_in_python():
    admin_id, user_id = str(uuid.uuid4()), str(uuid.uuid4())
    UserProfile.objects.create(id=admin_id, role=UserProfile.Role.ADMIN)
    UserProfile.objects.create(id=user_id, role=UserProfile.Role.USER)
    budget_create(role="user", limit_usd=ONE_CALL, window="daily")
    budget_create(role="admin", limit_tokens=100_000, window="monthly")
    budget_create(user_id="own", limit_usd=100 * ONE_CALL, window="daily")  # replaces role's
    for who in (admin_id, user_id, "no-profile", "own"):
        spend(who, 1, NOW)

    verdict, recorded = both_checks({admin_id, user_id, "no-profile", "own"})

    assert verdict == {user_id, "no-profile"}
    assert {u for _b, u, *_ in recorded} == {user_id, "no-profile"}


def test_no_budget_no_check_statement(api_client_with_key):
    """Without a budget the usage statement's probe says so: the batch is the key
    check and one statement."""
    with CaptureQueriesContext(connection) as queries:
        response = api_client_with_key.post(
            "/api/v1/usage/events/", {"events": [{**_event(), "user_id": "u1"}]}, format="json"
        )
    assert response.status_code == 201
    assert [q["sql"].split()[0] for q in queries.captured_queries][-1:] == ["WITH"]
    assert not any("b_alerts" in q["sql"] for q in queries.captured_queries)


def _event() -> dict:
    from tests.usage.conftest import event

    return event()
