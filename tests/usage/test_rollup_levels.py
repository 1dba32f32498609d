"""The coarser rollups (per day and model; per month, user and model; per week and
user): kept exact in the insert's statement, rebuilt with usage_daily, and giving the
analytics and the cost report exactly the figures of usage_daily for periods across
month and week edges."""

import csv
import io
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from interactions.services import ai_interaction_log
from tests.interactions.helpers import GPT4O_CHAT_USAGE
from tests.usage.conftest import event
from tests.usage.test_ingest_api import ROLLUP_SUMS, coarse_levels_equal_daily
from usage.models import (
    UsageDaily,
    UsageDailyModel,
    UsageDailyUser,
    UsageLog,
    UsageMonthly,
    UsageWeeklyUser,
)
from usage.selectors.analytics import (
    DAYS,
    MONTHS,
    PER_USER,
    PER_USER_MODEL,
    USER_DAYS,
    WEEKS,
    _plan,
)
from usage.services import usage_events_ingest, usage_rollups_add

pytestmark = pytest.mark.django_db
ANALYTICS = "/api/v1/usage/analytics/"
REPORT = "/api/v1/usage/report.csv"
MINI = {"input_tokens": 1000, "output_tokens": 1000}  # gpt-4o-mini: $0.00075
# Calls on both sides of the January/February and February/March edges, and of the
# weeks around mid-February (Monday 9th to Sunday 15th).
CALL_DAYS = [
    "2026-01-30",
    "2026-01-31",
    "2026-02-01",
    "2026-02-09",
    "2026-02-14",
    "2026-02-15",
    "2026-02-16",
    "2026-02-28",
    "2026-03-01",
]
PERIODS = [
    ("2026-01-31", "2026-03-01"),  # a whole month and a day each side
    ("2026-02-01", "2026-02-28"),  # exactly one month
    ("2026-01-30", "2026-02-14"),  # two partial months
    ("2026-02-02", "2026-02-27"),  # inside one month
    ("2026-01-01", "2026-03-31"),  # three whole months
    ("2026-02-14", "2026-02-14"),  # one day
    ("2026-01-02", "2026-02-27"),  # two months less a few days
    ("2026-01-31", "2026-02-27"),  # a day, then a month less its last day
    ("2026-02-09", "2026-02-15"),  # one whole week
    ("2026-02-10", "2026-02-15"),  # a week less its Monday
    ("2026-01-16", "2026-02-14"),  # 30 days from mid-month: weeks and days
    ("2026-01-28", "2026-02-26"),  # 30 days across a month edge
]


@pytest.fixture
def spread():
    """Three users, three models (one unpriced), a call of each kind on every day of
    ``CALL_DAYS``, one of them an error."""
    events = []
    for i, day in enumerate(CALL_DAYS):
        events += [
            event(user_id="ann", created_at=f"{day}T00:00:00Z"),
            event(user_id="ann", created_at=f"{day}T23:59:59Z", model="gpt-4o-mini", usage=MINI),
            event(user_id="bob", created_at=f"{day}T12:00:00Z", status="error"),
            event(created_at=f"{day}T13:00:00Z", model="ft:private"),
        ]
        events += [event(user_id="cy", created_at=f"{day}T14:00:00Z") for _ in range(i)]
    usage_events_ingest(events=events)


def expected(start: str, end: str) -> dict:
    """The figures straight from usage_daily, as the endpoints computed them before."""
    period = UsageDaily.objects.filter(day__gte=start, day__lte=end).order_by()
    users = (
        period.values("user_id")
        .annotate(calls=Sum("calls"), cost_usd=Sum("cost_usd"))
        .order_by("-cost_usd", "-calls", "user_id")
    )
    models = (
        period.values("model")
        .annotate(calls=Sum("calls"), cost_usd=Sum("cost_usd"))
        .order_by("-cost_usd", "-calls", "model")
    )
    report = period.values("user_id", "model").annotate(**{n: Sum(n) for n in ROLLUP_SUMS})
    return {
        "top_users": [(r["user_id"] or None, r["calls"], r["cost_usd"]) for r in users],
        "top_models": [(r["model"] or None, r["calls"], r["cost_usd"]) for r in models],
        "report": sorted(
            (r["user_id"], r["model"], r["calls"], r["cost_usd"], r["unpriced_calls"])
            for r in report
        ),
        "cost": period.aggregate(c=Sum("cost_usd"))["c"] or Decimal(0),
        "calls": period.aggregate(c=Sum("calls"))["c"] or 0,
    }


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_analytics_and_the_report_across_month_edges_match_the_daily_rollup(
    admin_client, spread, start, end
):
    want = expected(start, end)

    body = admin_client.get(ANALYTICS, {"from": start, "to": end, "limit": 100}).json()
    response = admin_client.get(REPORT, {"from": start, "to": end})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert body["totals"]["calls"] == want["calls"]
    assert Decimal(body["totals"]["cost_usd"]) == want["cost"]
    assert [(u["user_id"], u["calls"], Decimal(u["cost_usd"])) for u in body["top_users"]] == want[
        "top_users"
    ]
    assert [(m["model"], m["calls"], Decimal(m["cost_usd"])) for m in body["top_models"]] == want[
        "top_models"
    ]
    report = [
        (
            r["user_id"],
            r["model"],
            int(r["calls"]),
            Decimal(r["cost_usd"]),
            int(r["unpriced_calls"]),
        )
        for r in rows
    ]
    assert report == want["report"]  # one row per user and model, ordered by both
    assert sum(Decimal(r["cost_usd"]) for r in rows) == Decimal(body["totals"]["cost_usd"])


def _covered(plan) -> dict[date, int]:
    """How many times each day is counted by a plan's signed blocks."""
    counts: dict[date, int] = {}
    for _level, first, last, sign in plan:
        day = first
        while day <= last:
            counts[day] = counts.get(day, 0) + sign
            day += timedelta(days=1)
    return {day: n for day, n in counts.items() if n}


def test_every_plan_counts_each_day_of_the_period_once_and_no_other_day():
    rng = random.Random(7)
    for levels in (PER_USER, PER_USER_MODEL):
        for _ in range(300):
            start = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
            end = start + timedelta(days=rng.choice([0, 1, 6, 13, 29, 30, 89, 364]))
            plan = _plan(start, end, levels)
            days = (end - start).days + 1
            assert _covered(plan) == {start + timedelta(days=n): 1 for n in range(days)}
            # Never more rows than reading every day of the level's daily rollup.
            assert sum(level.weight for level, *_ in plan) <= days * levels[0].weight


def test_a_period_reads_whole_months_whole_weeks_and_the_fewest_days():
    d = date.fromisoformat
    # A day on each side of February: those days from usage_daily.
    assert _plan(d("2026-01-31"), d("2026-03-01"), PER_USER_MODEL) == [
        (DAYS, d("2026-01-31"), d("2026-01-31"), 1),
        (MONTHS, d("2026-02-01"), d("2026-02-28"), 1),
        (DAYS, d("2026-03-01"), d("2026-03-01"), 1),
    ]
    # Most of a month: the month minus the days outside the period.
    assert _plan(d("2026-02-02"), d("2026-02-27"), PER_USER_MODEL) == [
        (DAYS, d("2026-02-01"), d("2026-02-01"), -1),
        (MONTHS, d("2026-02-01"), d("2026-02-28"), 1),
        (DAYS, d("2026-02-28"), d("2026-02-28"), -1),
    ]
    assert _plan(d("2026-02-10"), d("2026-02-12"), PER_USER_MODEL) == [
        (DAYS, d("2026-02-10"), d("2026-02-10"), 1),
        (DAYS, d("2026-02-11"), d("2026-02-11"), 1),
        (DAYS, d("2026-02-12"), d("2026-02-12"), 1),
    ]
    # Per user, 30 days from Friday the 16th: three days, three weeks, a week less a day.
    assert _plan(d("2026-10-16"), d("2026-11-14"), PER_USER) == [
        (USER_DAYS, d("2026-10-16"), d("2026-10-16"), 1),
        (USER_DAYS, d("2026-10-17"), d("2026-10-17"), 1),
        (USER_DAYS, d("2026-10-18"), d("2026-10-18"), 1),
        (WEEKS, d("2026-10-19"), d("2026-10-25"), 1),
        (WEEKS, d("2026-10-26"), d("2026-11-01"), 1),
        (WEEKS, d("2026-11-02"), d("2026-11-08"), 1),
        (WEEKS, d("2026-11-09"), d("2026-11-15"), 1),
        (USER_DAYS, d("2026-11-15"), d("2026-11-15"), -1),
    ]


def test_an_interaction_reaches_every_level():
    ai_interaction_log(
        session_id="8d0c1f0e-0000-4000-8000-0000000000ab",
        prompt="p",
        response="r",
        model_used="gpt-4o",
        usage=GPT4O_CHAT_USAGE,
        user_id="u1",
    )

    cost = UsageLog.objects.get().cost_usd
    assert UsageDailyModel.objects.get().cost_usd == cost
    assert UsageDailyUser.objects.get().cost_usd == cost
    assert UsageMonthly.objects.get().cost_usd == cost
    assert UsageWeeklyUser.objects.get().cost_usd == cost
    coarse_levels_equal_daily()


def test_a_rebuild_restores_every_level_to_identical_figures(spread):
    def snapshot():
        return [
            sorted(model.objects.values_list(*key, *ROLLUP_SUMS))
            for model, key in [
                (UsageDaily, ["day", "user_id", "service", "model"]),
                (UsageDailyModel, ["day", "service", "model"]),
                (UsageDailyUser, ["day", "user_id"]),
                (UsageMonthly, ["month", "user_id", "model"]),
                (UsageWeeklyUser, ["week", "user_id"]),
            ]
        ]

    before = snapshot()
    UsageDailyModel.objects.filter(day="2026-02-14").update(calls=999)
    UsageDailyUser.objects.filter(day="2026-02-15").update(cost_usd=1)
    UsageDailyUser.objects.filter(day="2026-02-16").delete()
    UsageMonthly.objects.all().delete()
    UsageWeeklyUser.objects.filter(week="2026-02-09").update(calls=999)
    UsageWeeklyUser.objects.filter(week="2026-01-26").delete()

    call_command("rebuild_usage_rollups", "--since", "2026-01-15", "--until", "2026-03-05")

    assert snapshot() == before
    coarse_levels_equal_daily()


@pytest.mark.postgres
def test_all_levels_are_one_statement_on_postgresql():
    usage_events_ingest(events=[event(user_id="u1", created_at="2026-02-01T00:00:00Z")])
    logs = list(UsageLog.objects.all())
    UsageDaily.objects.all().delete()
    UsageDailyModel.objects.all().delete()
    UsageDailyUser.objects.all().delete()
    UsageMonthly.objects.all().delete()
    UsageWeeklyUser.objects.all().delete()

    with CaptureQueriesContext(connection) as queries:
        usage_rollups_add(logs=logs + logs)

    assert len(queries) == 1
    assert UsageDaily.objects.get().calls == 2
    assert UsageDailyModel.objects.get().calls == 2
    assert UsageDailyUser.objects.get().calls == 2
    assert UsageMonthly.objects.get().calls == 2
    assert UsageWeeklyUser.objects.get().calls == 2
