"""Budgets' windows and what a user has used in them (reads ``usage_daily``).

A window is computed from the clock, never stored: ``daily`` is the UTC day,
``weekly`` starts Monday 00:00 UTC, ``monthly`` the 1st 00:00 UTC, ``rolling`` is
the last ``window_days`` x 24 hours. A new window therefore starts by itself;
there is no reset job to run late, twice or never.

Used figures: ``used_usd`` is the cost of priced calls (USD), ``used_tokens`` is
input + output tokens (cached input is part of input, reasoning part of output,
each counted once). Calendar windows are whole UTC days, read from the rollup
only. A rolling window reads the rollup for its whole days and, for its first,
partial day, that one user's raw rows (index ``(user_id, created_at)``).
"""

import math
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from usage.models import Budget, UsageDaily, UsageLog

ZERO = Decimal(0)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def budget_window(*, budget: Budget, now: datetime) -> tuple[datetime, datetime]:
    """The window ``[start, end)`` of ``budget`` that contains ``now`` (aware UTC times).

    For a rolling budget: ``(now - window_days days, now)``.
    """
    today = now.astimezone(UTC).date()
    if budget.window == Budget.Window.DAILY:
        start = _midnight(today)
        return start, start + timedelta(days=1)
    if budget.window == Budget.Window.WEEKLY:
        start = _midnight(today - timedelta(days=today.weekday()))
        return start, start + timedelta(days=7)
    if budget.window == Budget.Window.MONTHLY:
        start = _midnight(today.replace(day=1))
        nxt = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start, _midnight(nxt)
    return now - timedelta(days=budget.window_days or 1), now


def budget_alert_window_start(*, budget: Budget, now: datetime) -> datetime:
    """The ``window_start`` an alert is recorded under: the window's start, or for a
    rolling window the start of the UTC day its start falls in (so a rolling budget
    alerts at most once a day per threshold)."""
    start, _end = budget_window(budget=budget, now=now)
    if budget.window == Budget.Window.ROLLING:
        return _midnight(start.astimezone(UTC).date())
    return start


def _user_roles(user_ids: set[str]) -> dict[str, str]:
    """Each user's role (``user_profiles.role``); ``user`` without a profile."""
    from sessions_app.models import UserProfile

    valid = {}
    for user_id in user_ids:
        try:
            valid[uuid.UUID(user_id)] = user_id
        except ValueError:
            continue
    roles = dict.fromkeys(user_ids, UserProfile.Role.USER.value)
    if valid:
        for pk, role in UserProfile.objects.filter(pk__in=valid).values_list("pk", "role"):
            roles[valid[pk]] = role
    return roles


def budgets_for_users(*, user_ids: set[str]) -> dict[str, list[Budget]]:
    """The budgets that apply to each user: their own budgets when they have any,
    else their role's. Two queries (budgets; profiles, only when role budgets exist).

    Returns: ``{user_id: [Budget, …]}`` (ordered by id; empty lists included).
    """
    if not user_ids:
        return {}
    budgets = list(Budget.objects.filter(Q(user_id__in=user_ids) | Q(role__isnull=False)))
    own: dict[str, list[Budget]] = defaultdict(list)
    by_role: dict[str, list[Budget]] = defaultdict(list)
    for budget in budgets:
        if budget.user_id:
            own[budget.user_id].append(budget)
        else:
            by_role[budget.role or ""].append(budget)
    roles = _user_roles(user_ids - set(own)) if by_role else {}
    return {
        user_id: own[user_id] if user_id in own else by_role.get(roles.get(user_id, ""), [])
        for user_id in user_ids
    }


def _rollup_sums(queryset: QuerySet, group: str) -> dict:
    return {
        row[group]: (row["cost"] or ZERO, row["tokens"] or 0)
        for row in queryset.values(group).annotate(
            cost=Sum("cost_usd"), tokens=Sum(F("input_tokens") + F("output_tokens"))
        )
    }


def usage_used(
    *, user_ids: set[str], budget: Budget, now: datetime
) -> dict[str, tuple[Decimal, int]]:
    """What each user used in ``budget``'s current window: ``{user_id: (usd, tokens)}``
    (users without usage are absent). One query for a calendar window, two for a
    rolling one."""
    start, end = budget_window(budget=budget, now=now)
    if budget.window != Budget.Window.ROLLING:
        return _rollup_sums(
            UsageDaily.objects.filter(
                user_id__in=user_ids, day__gte=start.date(), day__lt=end.date()
            ).order_by(),
            "user_id",
        )
    first_full_day = start.astimezone(UTC).date() + timedelta(days=1)
    used = _rollup_sums(
        UsageDaily.objects.filter(user_id__in=user_ids, day__gte=first_full_day).order_by(),
        "user_id",
    )
    partial = _rollup_sums(
        UsageLog.objects.filter(
            user_id__in=user_ids, created_at__gte=start, created_at__lt=_midnight(first_full_day)
        ).order_by(),
        "user_id",
    )
    for user_id, (usd, tokens) in partial.items():
        before = used.get(user_id, (ZERO, 0))
        used[user_id] = (before[0] + usd, before[1] + tokens)
    return used


@dataclass(frozen=True)
class BudgetStatus:
    """One budget as it stands for one user now. ``remaining_*`` never go below 0;
    ``None`` where the budget has no such limit. ``exceeded``: used ≥ limit for a
    limit it has. ``retry_after``: seconds until the budget allows calls again
    (0 when not exceeded)."""

    budget: Budget
    window_start: datetime
    window_end: datetime
    used_usd: Decimal
    used_tokens: int
    remaining_usd: Decimal | None
    remaining_tokens: int | None
    exceeded: bool
    retry_after: int


def _exceeded(budget: Budget, usd: Decimal, tokens: int) -> bool:
    return (budget.limit_usd is not None and usd >= budget.limit_usd) or (
        budget.limit_tokens is not None and tokens >= budget.limit_tokens
    )


def _rolling_retry_after(
    *, user_id: str, budget: Budget, now: datetime, used: tuple[Decimal, int]
) -> int:
    """Seconds until enough of a rolling window's oldest usage has left it for the
    user to be under every limit again (a day at a time: an upper bound)."""
    start, _end = budget_window(budget=budget, now=now)
    first_full_day = start.astimezone(UTC).date() + timedelta(days=1)
    partial = usage_used(user_ids={user_id}, budget=budget, now=now)[user_id]
    full_days = {
        row["day"]: (row["cost"] or ZERO, row["tokens"] or 0)
        for row in UsageDaily.objects.filter(user_id=user_id, day__gte=first_full_day)
        .order_by()
        .values("day")
        .annotate(cost=Sum("cost_usd"), tokens=Sum(F("input_tokens") + F("output_tokens")))
    }
    whole = (sum((v[0] for v in full_days.values()), ZERO), sum(v[1] for v in full_days.values()))
    days = [(first_full_day - timedelta(days=1), (partial[0] - whole[0], partial[1] - whole[1]))]
    days += sorted(full_days.items())
    usd, tokens = used
    window = timedelta(days=budget.window_days or 1)
    for day, (day_usd, day_tokens) in days:
        usd -= day_usd
        tokens -= day_tokens
        if not _exceeded(budget, usd, tokens):
            leaves_at = _midnight(day) + timedelta(days=1) + window
            return max(1, math.ceil((leaves_at - now).total_seconds()))
    return math.ceil(window.total_seconds())


def budget_statuses(*, user_id: str, now: datetime | None = None) -> list[BudgetStatus]:
    """Every budget that applies to ``user_id``, with its window and use now."""
    now = now or timezone.now()
    statuses = []
    for budget in budgets_for_users(user_ids={user_id})[user_id]:
        start, end = budget_window(budget=budget, now=now)
        usd, tokens = usage_used(user_ids={user_id}, budget=budget, now=now).get(user_id, (ZERO, 0))
        exceeded = _exceeded(budget, usd, tokens)
        retry_after = 0
        if exceeded:
            retry_after = (
                _rolling_retry_after(user_id=user_id, budget=budget, now=now, used=(usd, tokens))
                if budget.window == Budget.Window.ROLLING
                else max(1, math.ceil((end - now).total_seconds()))
            )
        statuses.append(
            BudgetStatus(
                budget=budget,
                window_start=start,
                window_end=end,
                used_usd=usd,
                used_tokens=tokens,
                remaining_usd=None
                if budget.limit_usd is None
                else max(ZERO, budget.limit_usd - usd),
                remaining_tokens=None
                if budget.limit_tokens is None
                else max(0, budget.limit_tokens - tokens),
                exceeded=exceeded,
                retry_after=retry_after,
            )
        )
    return statuses


@dataclass(frozen=True)
class Quota:
    """``allowed``: no applicable budget is used up. ``budgets``: each one's status."""

    allowed: bool
    budgets: list[BudgetStatus]

    @property
    def retry_after(self) -> int:
        """Seconds until every exceeded budget allows calls again (0 when allowed)."""
        return max((s.retry_after for s in self.budgets if s.exceeded), default=0)


def usage_quota_get(*, user_id: str, now: datetime | None = None) -> Quota:
    """The user's quota now: ``allowed`` and each budget's used / remaining."""
    statuses = budget_statuses(user_id=user_id, now=now)
    return Quota(allowed=not any(s.exceeded for s in statuses), budgets=statuses)


def ratelimit_headers(quota: Quota) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` header fields for ``quota``, in the syntax
    of the IETF httpapi draft "RateLimit header fields for HTTP"
    (draft-ietf-httpapi-ratelimit-headers: ``"name";q=<quota>;w=<window seconds>`` and
    ``"name";r=<remaining>;t=<seconds to reset>``), one policy per budget and limit:
    ``"budget-<id>-usd"`` counts US cents, ``"budget-<id>-tokens"`` tokens.
    Quotas and remainders are integers (cents rounded down). Empty without budgets.
    """
    now = timezone.now()
    policies, limits = [], []
    for status in quota.budgets:
        budget = status.budget
        window = int((status.window_end - status.window_start).total_seconds())
        reset = status.retry_after or max(0, math.ceil((status.window_end - now).total_seconds()))
        if budget.window == Budget.Window.ROLLING and not status.exceeded:
            reset = 0
        parts = []
        if budget.limit_usd is not None:
            parts.append(
                ("usd", int(budget.limit_usd * 100), int((status.remaining_usd or ZERO) * 100))
            )
        if budget.limit_tokens is not None:
            parts.append(("tokens", budget.limit_tokens, status.remaining_tokens or 0))
        for unit, q, r in parts:
            name = f'"budget-{budget.pk}-{unit}"'
            policies.append(f"{name};q={q};w={window}")
            limits.append(f"{name};r={r};t={reset}")
    if not policies:
        return {}
    return {"RateLimit-Policy": ", ".join(policies), "RateLimit": ", ".join(limits)}
