"""Usage figures for a period, read from the daily rollup ``usage_daily`` only.

Periods are inclusive UTC dates. Costs are USD Decimals (priced calls only);
``unpriced_calls`` counts calls of models without a known price, whose cost is
therefore not in ``cost_usd``. Token names as in ``usage_logs``: input includes
cached input, output includes reasoning output.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import QuerySet, Sum

from usage.models import UsageDaily

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


_ANALYTICS_POSTGRES = """
WITH sets AS (
    SELECT day, user_id, model,
           GROUPING(day) AS by_day, GROUPING(user_id) AS by_user, GROUPING(model) AS by_model,
           {sums}
    FROM usage_daily
    WHERE day >= %s AND day <= %s
    GROUP BY GROUPING SETS ((day), (user_id), (model))
)
SELECT * FROM (
    SELECT sets.*, row_number() OVER (
        PARTITION BY by_day, by_user, by_model
        ORDER BY cost_usd DESC, calls DESC, user_id, model
    ) AS rank
    FROM sets
) ranked
WHERE by_day = 0 OR rank <= %s
"""


def _analytics_postgres(start: date, end: date, limit: int) -> tuple[dict, list, list]:
    """One scan of the period's rollup rows (GROUPING SETS by day, by user, by model),
    the top ``limit`` users and models ranked in the same statement."""
    sums = ", ".join(f"SUM({name}) AS {name}" for name in FIGURES)
    with connection.cursor() as cursor:
        cursor.execute(_ANALYTICS_POSTGRES.format(sums=sums), [start, end, limit])
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    days = {row["day"]: _clean(row) for row in rows if row["by_day"] == 0}
    users = [row for row in rows if row["by_user"] == 0]
    models = [row for row in rows if row["by_model"] == 0]
    return (
        days,
        sorted(users, key=lambda row: row["rank"]),
        sorted(models, key=lambda row: row["rank"]),
    )


def usage_analytics(*, start: date, end: date, limit: int = TOP_DEFAULT) -> dict:
    """Every user's usage in ``start`` … ``end``: totals, by day, and the ``limit``
    top users and top models by cost (highest first; ties by calls, then name).

    PostgreSQL: one statement (one scan of the period's rollup rows with GROUPING
    SETS). Elsewhere: three queries on the rollup (by day, top users, top models).
    Returns: ``{"from", "to", "totals", "by_day", "top_users", "top_models"}``;
    ``top_*`` entries are ``{user_id | model, calls, cost_usd}``.
    """
    period = _period(UsageDaily.objects.all(), start, end)
    if connection.vendor == "postgresql":
        days, users, models = _analytics_postgres(start, end, limit)
    else:
        days = {row["day"]: _clean(row) for row in period.values("day").annotate(**_sums())}

        def top(column: str) -> list[dict]:
            return list(
                period.values(column)
                .annotate(calls=Sum("calls"), cost_usd=Sum("cost_usd"))
                .order_by("-cost_usd", "-calls", column)[:limit]
            )

        users, models = top("user_id"), top("model")
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
    sums to ``usage_analytics``' total for the same period. One query."""
    rows = (
        _period(UsageDaily.objects.all(), start, end)
        .values("user_id", "model")
        .annotate(**_sums())
        .order_by("user_id", "model")
    )
    for row in rows.iterator(chunk_size=5000):
        yield {name: row[name] for name in REPORT_COLUMNS}
