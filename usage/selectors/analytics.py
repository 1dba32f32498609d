"""Usage figures for a period, read from the rollups only (never ``usage_logs``).

One user's summary reads ``usage_daily``; the all-users analytics and the cost
report read the coarser ``usage_daily_models`` and ``usage_monthly`` (with
``usage_daily`` for the partial months at a period's edges).

Periods are inclusive UTC dates. Costs are USD Decimals (priced calls only);
``unpriced_calls`` counts calls of models without a known price, whose cost is
therefore not in ``cost_usd``. Token names as in ``usage_logs``: input includes
cached input, output includes reasoning output.
"""

import heapq
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Collate

from usage.models import UsageDaily, UsageDailyModel, UsageMonthly

FIGURES = [
    "calls",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "cost_usd",
    "unpriced_calls",
]
TOP_DEFAULT = 10
TOP_MAX = 100


def _sums() -> dict:
    return {name: Sum(name) for name in FIGURES}


def _zero() -> dict:
    return {name: (Decimal(0) if name == "cost_usd" else 0) for name in FIGURES}


def _clean(row: dict) -> dict:
    """NULL sums (no rows) as zeros."""
    return {name: (row.get(name) or _zero()[name]) for name in FIGURES}


def _add(into: dict, row: dict) -> None:
    for name in FIGURES:
        into[name] += row[name] or 0


def _period(queryset: QuerySet, start: date, end: date) -> QuerySet:
    return queryset.filter(day__gte=start, day__lte=end).order_by()


def _by_day(rows: dict[date, dict], start: date, end: date) -> list[dict]:
    """One entry per day of the period, zeros for days without calls."""
    days = []
    day = start
    while day <= end:
        days.append({"date": day, **rows.get(day, _zero())})
        day += timedelta(days=1)
    return days


def usage_summary(*, user_id: str, start: date, end: date) -> dict:
    """One user's usage in ``start`` … ``end``: totals, by day (every day, zeros
    included), by model and by service (highest cost first).

    One query: the user's rollup rows grouped by (day, service, model), folded here.
    Returns: ``{"from", "to", "totals", "by_day", "by_model", "by_service"}``.
    """
    rows = (
        _period(UsageDaily.objects.filter(user_id=user_id), start, end)
        .values("day", "service", "model")
        .annotate(**_sums())
    )
    totals = _zero()
    days: dict[date, dict] = {}
    models: dict[str, dict] = {}
    services: dict[str, dict] = {}
    for row in rows:
        _add(totals, row)
        _add(days.setdefault(row["day"], _zero()), row)
        _add(models.setdefault(row["model"], _zero()), row)
        _add(services.setdefault(row["service"], _zero()), row)

    def ranked(groups: dict, key: str) -> list[dict]:
        items = [{key: name or None, **figures} for name, figures in groups.items()]
        return sorted(items, key=lambda item: (-item["cost_usd"], -item["calls"], item[key] or ""))

    return {
        "from": start,
        "to": end,
        "totals": totals,
        "by_day": _by_day(days, start, end),
        "by_model": ranked(models, "model"),
        "by_service": ranked(services, "service"),
    }


Ranges = list[tuple[date, date]]


def _month_end(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _plan(start: date, end: date) -> tuple[tuple[date, date] | None, Ranges, Ranges]:
    """How to sum ``start`` … ``end`` per user from the rollups reading the fewest rows.

    Returns ``(months, plus, minus)``: the first and last month (first days) to read
    whole from ``usage_monthly`` (or None), then day ranges of ``usage_daily`` to
    add and to subtract. A partial month at an edge is read from ``usage_daily``
    when at most half of it is in the period, else whole from ``usage_monthly``
    minus its days outside the period: "the last 90 days" reads one or two
    days of ``usage_daily``, not a month of them.
    """
    months: list[date] = []
    plus: Ranges = []
    minus: Ranges = []
    month = start.replace(day=1)
    while month <= end:
        last = _month_end(month)
        first_in, last_in = max(start, month), min(end, last)
        if (first_in, last_in) == (month, last):
            months.append(month)
        elif (last_in - first_in).days + 1 <= ((last - month).days + 1) // 2:
            plus.append((first_in, last_in))
        else:
            months.append(month)
            if first_in > month:
                minus.append((month, first_in - timedelta(days=1)))
            if last_in < last:
                minus.append((last_in + timedelta(days=1), last))
        month = last + timedelta(days=1)
    return ((months[0], months[-1]) if months else None), plus, minus


def _days(ranges: Ranges) -> Q:
    condition = Q()
    for first, last in ranges:
        condition |= Q(day__gte=first, day__lte=last)
    return condition


def _per_user_sources(
    start: date, end: date, group: list[str], sums: dict
) -> list[tuple[QuerySet, int]]:
    """(queryset, sign) pairs whose rows, summed per ``group`` (user_id and/or model)
    with their sign, give the period's figures (see ``_plan``). Each queryset is
    grouped and ordered by ``group``."""
    months, plus, minus = _plan(start, end)
    sources: list[tuple[QuerySet[Any], int]] = []
    if months is not None:
        sources.append((UsageMonthly.objects.filter(month__gte=months[0], month__lte=months[1]), 1))
    if plus:
        sources.append((UsageDaily.objects.filter(_days(plus)), 1))
    if minus:
        sources.append((UsageDaily.objects.filter(_days(minus)), -1))
    # The merge needs one order for all sources: code point order, which is
    # PostgreSQL's "C" collation and SQLite's default.
    order = [Collate(g, "C") for g in group] if connection.vendor == "postgresql" else group
    return [(qs.values(*group).annotate(**sums).order_by(*order), sign) for qs, sign in sources]


def _signed(rows: Iterator[dict], sign: int, names: list[str]) -> Iterator[dict]:
    for row in rows:
        if sign < 0:
            row = {**row, **{name: -(row[name] or 0) for name in names}}
        yield row


def _merged(
    sources: list[tuple[QuerySet, int]], group: list[str], names: list[str]
) -> Iterator[dict]:
    """The rows of ``sources`` (each ordered by ``group``) merged into one row per
    group, in ``group`` order, with ``names`` added up (subtracted for a negative
    sign); groups left without calls are dropped. Streams."""
    key = itemgetter(*group)
    iterators = [_signed(qs.iterator(chunk_size=5000), sign, names) for qs, sign in sources]
    for _, rows in groupby(heapq.merge(*iterators, key=key), key=key):
        merged: dict | None = None
        for row in rows:
            if merged is None:
                merged = dict(row)
            else:
                for name in names:
                    merged[name] = (merged[name] or 0) + (row[name] or 0)
        if merged is not None and merged["calls"]:
            yield merged


_TOP_USERS_POSTGRES = """
SELECT user_id, SUM(calls) AS calls, SUM(cost_usd) AS cost_usd FROM (
    SELECT user_id, calls, cost_usd FROM usage_monthly WHERE month >= %s AND month <= %s
    UNION ALL
    SELECT user_id, calls, cost_usd FROM usage_daily WHERE {plus}
    UNION ALL
    SELECT user_id, -calls, -cost_usd FROM usage_daily WHERE {minus}
) rows
GROUP BY user_id
HAVING SUM(calls) <> 0
ORDER BY cost_usd DESC, calls DESC, user_id
LIMIT %s
"""


def _top_users(start: date, end: date, limit: int) -> list[dict]:
    """The ``limit`` users with the highest cost in the period (ties: calls, then id).

    PostgreSQL: one statement over the sources of ``_plan``, ranked in the
    database. Elsewhere: one query per source, merged here.
    """
    if connection.vendor == "postgresql":
        months, plus, minus = _plan(start, end)
        params: list = list(months) if months else [date.max, date.min]
        conditions = []
        for ranges in (plus, minus):
            conditions.append(" OR ".join(["(day >= %s AND day <= %s)"] * len(ranges)) or "FALSE")
            for first, last in ranges:
                params += [first, last]
        params.append(limit)
        sql = _TOP_USERS_POSTGRES.format(plus=conditions[0], minus=conditions[1])
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [
                {"user_id": user_id, "calls": calls, "cost_usd": cost}
                for user_id, calls, cost in cursor.fetchall()
            ]
    sums = {"calls": Sum("calls"), "cost_usd": Sum("cost_usd")}
    sources = _per_user_sources(start, end, ["user_id"], sums)
    users = list(_merged(sources, ["user_id"], ["calls", "cost_usd"]))
    users.sort(key=lambda row: (-row["cost_usd"], -row["calls"], row["user_id"]))
    return users[:limit]


def usage_analytics(*, start: date, end: date, limit: int = TOP_DEFAULT) -> dict:
    """Every user's usage in ``start`` … ``end``: totals, by day, and the ``limit``
    top users and top models by cost (highest first; ties by calls, then name).

    Reads the coarser rollups: totals, ``by_day`` and ``top_models`` from
    ``usage_daily_models`` (a dozen rows a day; two queries), ``top_users`` from
    ``usage_monthly`` for the period's months and ``usage_daily`` for the days
    that make up its partial months (see ``_plan``; one query on PostgreSQL, up to
    three elsewhere).
    Returns: ``{"from", "to", "totals", "by_day", "top_users", "top_models"}``;
    ``top_*`` entries are ``{user_id | model, calls, cost_usd}``.
    """
    period = _period(UsageDailyModel.objects.all(), start, end)
    days = {row["day"]: _clean(row) for row in period.values("day").annotate(**_sums())}
    models = list(
        period.values("model")
        .annotate(calls=Sum("calls"), cost_usd=Sum("cost_usd"))
        .order_by("-cost_usd", "-calls", "model")[:limit]
    )
    users = _top_users(start, end, limit)
    totals = _zero()
    for row in days.values():
        _add(totals, row)
    return {
        "from": start,
        "to": end,
        "totals": totals,
        "by_day": _by_day(days, start, end),
        "top_users": [
            {"user_id": r["user_id"] or None, "calls": r["calls"], "cost_usd": r["cost_usd"]}
            for r in users
        ],
        "top_models": [
            {"model": r["model"] or None, "calls": r["calls"], "cost_usd": r["cost_usd"]}
            for r in models
        ],
    }


REPORT_COLUMNS = [
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


def usage_report_rows(*, start: date, end: date) -> Iterator[dict]:
    """The cost report's rows: one per user and model with calls in ``start`` … ``end``,
    ordered by user then model, each with ``REPORT_COLUMNS``. Their ``cost_usd``
    sums to ``usage_analytics``' total for the same period.

    Months are read from ``usage_monthly`` (one row per user, model and month),
    the days that make up partial months from ``usage_daily`` (see ``_plan``): at
    most three queries, all ordered by user and model, merged as they stream."""
    group = ["user_id", "model"]
    sources = _per_user_sources(start, end, group, _sums())
    for row in _merged(sources, group, FIGURES):
        yield {name: row[name] for name in REPORT_COLUMNS}
