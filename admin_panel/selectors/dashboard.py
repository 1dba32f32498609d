"""The figures and chart series of the admin's front page.

Every figure is one grouped query on an indexed range (or on a partial index of
live rows), so the page costs the same number of queries whatever the table
sizes: customer sessions by channel, sessions started per day, user sessions
by platform, AI sessions, interactions per day, usage by day and model, top
users and their profiles.

Usage figures read the rollups that the usage insert keeps exact
(``usage_source``): a dozen rows a day for usage by day and model, a row per
user and model for this month's top users, so they are live and cost the same
for any number of calls. Sessions started and interactions per day are counted
on the raw tables: their past UTC days do not change (rows carry the time they
were written), so they are computed once for the days before today and cached
until the day ends; each page then reads only today's rows. A cold cache costs
one more query for each of the two (the past days'), the same for any table size.
"""

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from admin_panel.selectors.periods import Period, Periods, day_start, periods_for
from admin_panel.selectors.usage_source import usage_source, usage_top_users
from documents.models import Document
from interactions.citations.selectors import most_cited_documents
from interactions.models import AIInteraction, AISession
from sessions_app.models import CustomerSession, UserProfile, UserSession
from sessions_app.selectors import user_sessions_active_summary
from usage.models import Budget, UsageAlert
from usage.selectors import budget_window

TOP_USERS = 10
BUDGETS_LISTED = 10  # budgets over a threshold listed by name (all are counted)
TOP_DOCUMENTS = 10
CHART_SERIES_MAX = 8  # models / channels drawn apart; the rest is summed as "other"
OTHER = "other"
UNKNOWN_MODEL = "(unknown)"
CACHE_PREFIX = "admin_panel:dashboard"

T = TypeVar("T")


def _past_then_today(
    name: str,
    first: date,
    today: date,
    compute: Callable[[date, date], T],
    merge: Callable[[T, T], T],
) -> T:
    """``compute(first, today)`` as ``merge(past, today's)``: the days before ``today``
    from the cache (computed on a miss and kept until the UTC day ends), today's
    computed now."""
    key = f"{CACHE_PREFIX}:{name}:{first.isoformat()}:{today.isoformat()}"
    past = cache.get(key)
    if past is None:
        past = compute(first, today - timedelta(days=1))
        midnight = day_start(today + timedelta(days=1))
        cache.set(key, past, max(60, int((midnight - timezone.now()).total_seconds()) + 60))
    return merge(past, compute(today, today))


def _merge_dicts(past: dict, current: dict) -> dict:
    return {**past, **current}


@dataclass(frozen=True)
class Count_:
    """A labelled count, e.g. active sessions on one channel."""

    key: str
    label: str
    count: int
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """A figure of the current period and the same figure of the previous one.

    ``change_pct``: percent change from ``previous`` (None when ``previous`` is 0).
    """

    label: str
    value: Decimal
    previous: Decimal

    @property
    def change_pct(self) -> float | None:
        if not self.previous:
            return None
        return float((self.value - self.previous) / self.previous * 100)


@dataclass(frozen=True)
class TopUser:
    """A user's calls and cost (USD) this month; ``url`` is their admin page, if any."""

    user_id: str
    label: str
    calls: int
    cost_usd: Decimal
    url: str | None


@dataclass(frozen=True)
class BudgetOverThreshold:
    """One user's budget past an alert threshold in its current window: the highest
    threshold crossed (a fraction, 0.8 = 80 %) and the use recorded when it was
    crossed (USD, input + output tokens); ``url`` lists that user's alerts."""

    budget: Budget
    user_id: str
    threshold: Decimal
    used_usd: Decimal
    used_tokens: int
    url: str


@dataclass(frozen=True)
class Dashboard:
    """Everything the front page shows, plus ``charts`` (JSON-ready series)."""

    periods: Periods
    customer_sessions: list[Count_]
    user_sessions: list[Count_]
    ai_sessions_today: int
    ai_sessions_week: int
    interactions_today: int
    interactions_week: int
    cost: list[Change]
    unpriced_calls_month: int
    calls_month: int
    top_users: list[TopUser]
    documents: list[Count_]
    budgets_over_threshold: list[BudgetOverThreshold]
    budgets_over_threshold_total: int
    top_documents: list[dict]
    charts: dict

    @property
    def customer_sessions_total(self) -> int:
        return sum(c.count for c in self.customer_sessions)

    @property
    def user_sessions_total(self) -> int:
        return sum(c.count for c in self.user_sessions)

    @property
    def documents_total(self) -> int:
        """Documents in every status but ``deleted``."""
        return sum(c.count for c in self.documents if c.key != Document.Status.DELETED)


def dashboard_figures(*, now: datetime | None = None) -> Dashboard:
    """All figures of the front page at ``now`` (default: the current time), UTC days.

    ``top_documents``: the ``TOP_DOCUMENTS`` documents cited by the most answers
    this month (``most_cited_documents``), each with its admin ``url``.

    Queries: 12 with a warm cache (2 more on a cold one), whatever the data: the
    8 of sessions, interactions and usage, documents by status, budgets, their
    alerts of the current windows, and the most cited documents.
    """
    now = now or timezone.now()
    periods = periods_for(now.astimezone(UTC).date())
    today = periods.today
    usage = _usage_by_day_and_model(periods.earliest, today)
    interactions = _past_then_today(
        "interactions", periods.chart.first, today, _interactions_by_day_and_model, _merge_dicts
    )
    sessions_started = _past_then_today(
        "sessions", periods.chart.first, today, _customer_sessions_started, _merge_dicts
    )
    interactions_today = sum(n for (day, _m), n in interactions.items() if day == periods.today)
    interactions_week = sum(
        n for (day, _m), n in interactions.items() if periods.week.contains(day)
    )
    ai_today, ai_week = _ai_sessions_started(periods)
    top_users = _top_users(periods.month)
    over_threshold = _budgets_over_threshold(now)
    return Dashboard(
        periods=periods,
        customer_sessions=_customer_sessions_active(now),
        user_sessions=_user_sessions_active(),
        ai_sessions_today=ai_today,
        ai_sessions_week=ai_week,
        interactions_today=interactions_today,
        interactions_week=interactions_week,
        cost=[
            _change("Today", usage, periods.day, periods.previous_day),
            _change("This week", usage, periods.week, periods.previous_week),
            _change("This month", usage, periods.month, periods.previous_month),
        ],
        unpriced_calls_month=sum(
            row["unpriced_calls"] for row in usage if periods.month.contains(row["day"])
        ),
        calls_month=sum(row["calls"] for row in usage if periods.month.contains(row["day"])),
        top_users=top_users,
        documents=_documents_by_status(),
        budgets_over_threshold=over_threshold[:BUDGETS_LISTED],
        budgets_over_threshold_total=len(over_threshold),
        top_documents=[
            {**row, "url": reverse("admin:documents_document_change", args=[row["document_id"]])}
            for row in most_cited_documents(
                start=periods.month.first, end=periods.month.last, limit=TOP_DOCUMENTS
            )
        ],
        charts={
            "days": [day.isoformat() for day in periods.chart_days],
            "interactions": _stack(periods, {key: float(n) for key, n in interactions.items()}),
            "cost": _stack(
                periods,
                {
                    (row["day"], row["model"] or UNKNOWN_MODEL): float(row["cost_usd"] or 0)
                    for row in usage
                    if periods.chart.contains(row["day"])
                },
            ),
            "sessions": _stack(periods, sessions_started),
            "top_users": {
                "labels": [user.label for user in top_users],
                "cost": [float(user.cost_usd) for user in top_users],
                "urls": [user.url for user in top_users],
            },
        },
    )


def _change(label: str, usage: list[dict], current: Period, previous: Period) -> Change:
    def total(period: Period) -> Decimal:
        return sum(
            (row["cost_usd"] or Decimal(0) for row in usage if period.contains(row["day"])),
            Decimal(0),
        )

    return Change(label=label, value=total(current), previous=total(previous))


def _as_date(value: object) -> date:
    """TruncDate gives a date on PostgreSQL and an ISO string on some SQLite builds."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _usage_by_day_and_model(first: date, last: date) -> list[dict]:
    """[{day, model, calls, unpriced_calls, cost_usd}] of the UTC days ``first``..``last``
    (``usage_daily_models``: a dozen rows a day)."""
    source = usage_source(first=first, last=last)
    return list(source.rows.values("day", "model").annotate(**source.measures))


def _interactions_by_day_and_model(first: date, last: date) -> dict[tuple[date, str], int]:
    """{(day, model): interactions} of the UTC days ``first``..``last`` (index
    ``(created_at) INCLUDE (model_used)``: read from the index alone)."""
    rows = (
        AIInteraction.objects.filter(
            created_at__gte=day_start(first), created_at__lt=day_start(last + timedelta(days=1))
        )
        .order_by()
        .values(day=TruncDate("created_at", tzinfo=UTC), model=F("model_used"))
        .annotate(n=Count("*"))
    )
    return {(_as_date(row["day"]), row["model"] or UNKNOWN_MODEL): row["n"] for row in rows}


def _customer_sessions_started(first: date, last: date) -> dict[tuple[date, str], float]:
    """{(day, channel): sessions started} of the UTC days ``first``..``last`` (index
    ``(created_at) INCLUDE (channel)``: read from the index alone)."""
    rows = (
        CustomerSession.objects.filter(
            created_at__gte=day_start(first), created_at__lt=day_start(last + timedelta(days=1))
        )
        .order_by()
        .values("channel", day=TruncDate("created_at", tzinfo=UTC))
        .annotate(n=Count("*"))
    )
    return {(_as_date(row["day"]), row["channel"]): float(row["n"]) for row in rows}


def _stack(periods: Periods, values: dict[tuple[date, str], float]) -> list[dict]:
    """Chart.js datasets ``[{label, data: [one value per chart day]}]``, the largest
    ``CHART_SERIES_MAX`` series apart (largest first) and the rest summed as "other"."""
    totals: dict[str, float] = defaultdict(float)
    for (_day, key), value in values.items():
        totals[key] += value
    ranked = sorted(totals, key=lambda key: (-totals[key], key))
    kept = set(ranked[:CHART_SERIES_MAX])
    index = {day: n for n, day in enumerate(periods.chart_days)}
    series: dict[str, list[float]] = {}
    for (day, key), value in values.items():
        name = key if key in kept else OTHER
        data = series.setdefault(name, [0.0] * len(index))
        data[index[day]] += value
    order = [key for key in ranked if key in kept] + ([OTHER] if OTHER in series else [])
    return [{"label": name, "data": series[name]} for name in order]


def _customer_sessions_active(now: datetime) -> list[Count_]:
    """Active, unexpired customer sessions per channel (every channel, zeros included):
    one count read from the partial index of active sessions ``(channel,
    expires_at) WHERE status = 'active'`` alone (an index-only scan)."""
    counts = dict(
        CustomerSession.objects.filter(status=CustomerSession.Status.ACTIVE, expires_at__gt=now)
        .order_by()
        .values_list("channel")
        .annotate(n=Count("*"))
    )
    return [
        Count_(key=value, label=str(label), count=counts.get(value, 0))
        for value, label in CustomerSession.Channel.choices
    ]


def _user_sessions_active() -> list[Count_]:
    """Active user sessions per platform (every platform, zeros included), from the
    ``active_sessions_summary`` selector: count, average age in minutes, oldest
    start, latest activity."""
    rows = {row["platform"]: row for row in user_sessions_active_summary()}
    result = []
    for value, label in UserSession.Platform.choices:
        row = rows.get(value)
        extra = {}
        if row:
            extra = {
                "avg_minutes": round(row["avg_session_minutes"], 1),
                "oldest": row["oldest_session"],
                "latest": row["latest_activity"],
            }
        result.append(
            Count_(
                key=value, label=str(label), count=row["active_count"] if row else 0, extra=extra
            )
        )
    return result


def _ai_sessions_started(periods: Periods) -> tuple[int, int]:
    """AI sessions created today and this week (index on ``created_at``)."""
    since = day_start(min(periods.week.first, periods.today))
    today = day_start(periods.today)
    totals = AISession.objects.filter(created_at__gte=since).aggregate(
        week=Count("id"), today=Count("id", filter=Q(created_at__gte=today))
    )
    return totals["today"], totals["week"]


def _top_users(month: Period) -> list[TopUser]:
    """The ``TOP_USERS`` users with the highest cost this month, highest first, each
    labelled with their email (or phone) and linked to their profile page: the
    month's ``usage_monthly`` rows ranked in the database, then their profiles."""
    top = usage_top_users(month=month.first, limit=TOP_USERS)
    ids = []
    for user in top:
        try:
            ids.append(uuid.UUID(user.user_id))
        except ValueError:
            continue
    profiles = {str(p.id): p for p in UserProfile.objects.filter(id__in=ids)} if ids else {}
    result = []
    for user in top:
        profile = profiles.get(user.user_id)
        result.append(
            TopUser(
                user_id=user.user_id,
                label=str(profile) if profile else user.user_id,
                calls=user.calls,
                cost_usd=user.cost_usd.normalize(),
                url=(
                    reverse("admin:sessions_app_userprofile_change", args=[profile.pk])
                    if profile
                    else None
                ),
            )
        )
    return result


def _documents_by_status() -> list[Count_]:
    """Documents per status (every status, zeros included): one grouped count read
    from the index ``(status, created_at)``."""
    counts = dict(Document.objects.order_by().values_list("status").annotate(n=Count("id")))
    return [
        Count_(key=value, label=str(label), count=counts.get(value, 0))
        for value, label in Document.Status.choices
    ]


def _budgets_over_threshold(now: datetime) -> list[BudgetOverThreshold]:
    """Each (budget, user) with an alert recorded since the start of the budget's
    current window (``usage.selectors.budget_window``: UTC day, week from Monday,
    calendar month, or the last N x 24 hours), highest threshold first.

    Alerts are recorded by the usage insert, in its transaction, the moment a
    threshold is crossed, so this reads the small alerts table (index on
    ``created_at``), never the usage. Two queries: the budgets, their alerts.
    """
    budgets = {budget.pk: budget for budget in Budget.objects.order_by()}
    if not budgets:
        return []
    starts = {pk: budget_window(budget=budget, now=now)[0] for pk, budget in budgets.items()}
    alerts = (
        UsageAlert.objects.filter(created_at__gte=min(starts.values()), budget_id__in=budgets)
        .order_by()
        .values_list("budget_id", "user_id", "threshold", "used_usd", "used_tokens", "created_at")
    )
    highest: dict[tuple[int, str], tuple] = {}
    for budget_id, user_id, threshold, used_usd, used_tokens, created_at in alerts:
        if created_at < starts[budget_id]:
            continue  # crossed in an earlier window of this budget
        key = (budget_id, user_id)
        if key not in highest or threshold > highest[key][0]:
            highest[key] = (threshold, used_usd, used_tokens)
    changelist = reverse("admin:usage_usagealert_changelist")
    rows = [
        BudgetOverThreshold(
            budget=budgets[budget_id],
            user_id=user_id,
            threshold=threshold,
            used_usd=used_usd,
            used_tokens=used_tokens,
            url=f"{changelist}?q={user_id}",
        )
        for (budget_id, user_id), (threshold, used_usd, used_tokens) in highest.items()
    ]
    rows.sort(key=lambda row: (-row.threshold, -row.used_usd, row.user_id))
    return rows
