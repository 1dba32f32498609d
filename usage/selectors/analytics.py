"""Usage figures for a period, read from the rollups only (never ``usage_logs``).

One user's summary reads ``usage_daily``; the all-users analytics read
``usage_daily_models`` for totals, days and models, and sum ``top_users`` from
blocks of ``usage_monthly``, ``usage_weekly_users`` and ``usage_daily_users``; the cost
report sums blocks of ``usage_monthly`` and ``usage_daily`` (``_plan`` picks the
cheapest blocks, added or subtracted, that make up the period exactly).

Periods are inclusive UTC dates. Costs are USD Decimals (priced calls only);
``unpriced_calls`` counts calls of models without a known price, whose cost is
therefore not in ``cost_usd``. Token names as in ``usage_logs``: input includes
cached input, output includes reasoning output.
"""

import csv
import heapq
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Collate

from usage.models import (
    RollupFigures,
    UsageDaily,
    UsageDailyModel,
    UsageDailyUser,
    UsageMonthly,
    UsageWeeklyUser,
)

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


@dataclass(frozen=True)
class Level:
    """A rollup table read by whole blocks of UTC days.

    ``field``: the column naming a row's block by its first day (``day``; ``week``:
    its Monday; ``month``: its 1st). ``weight``: about how many rows one block
    holds, in tenths of a day of ``usage_daily`` (the planner's cost).
    """

    model: type[RollupFigures]
    field: str
    weight: int

    def block(self, day: date) -> tuple[date, date]:
        """The first and last day of this level's block that holds ``day``."""
        if self.field == "week":
            first = day - timedelta(days=day.weekday())
            return first, first + timedelta(days=6)
        if self.field == "month":
            return day.replace(day=1), _month_end(day)
        return day, day


DAYS = Level(UsageDaily, "day", 10)
# One row per user and day, whatever the models: about half a day of usage_daily.
USER_DAYS = Level(UsageDailyUser, "day", 6)
# One row per user and week: weekly active users are more than a day's, but a
# day of usage_daily has a row per model each user called.
WEEKS = Level(UsageWeeklyUser, "week", 15)
# One row per user and model a month.
MONTHS = Level(UsageMonthly, "month", 40)
# The levels that can sum a period per user (top_users), and per user and model
# (the report).
PER_USER = (USER_DAYS, WEEKS, MONTHS)
PER_USER_MODEL = (DAYS, MONTHS)

# A block of a plan: its level, first and last day, and +1 (add) or -1 (subtract).
Block = tuple[Level, date, date, int]


def _month_end(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _plan(start: date, end: date, levels: tuple[Level, ...]) -> list[Block]:
    """The blocks whose rows, added or subtracted, sum ``start`` … ``end`` exactly,
    reading the fewest rows.

    Every level holds the same calls summed over its blocks, so a period is any
    chain of blocks from the start of ``start`` to the end of ``end``: a block
    walked forwards is added, one walked backwards (overshooting, then coming
    back) is subtracted. The cheapest chain is a shortest path over day
    boundaries (Dijkstra; block weights from ``Level.weight``, ties to fewer
    blocks). "The last 30 days" on the 30th of a 30-day month reads the 1st's
    month and one day; from the 16th to the 14th of the next month it reads a day
    or two, four weeks and a few days (instead of 30 days of ``usage_daily``).
    Returns: the blocks, in day order.
    """
    first = min(level.block(start)[0] for level in levels) - timedelta(days=7)
    last = max(level.block(end)[1] for level in levels) + timedelta(days=7)
    edges: dict[date, list[tuple[date, Level, int]]] = {}
    for level in levels:
        day = first
        while day <= last:
            block_first, block_last = level.block(day)
            after = block_last + timedelta(days=1)
            edges.setdefault(block_first, []).append((after, level, 1))
            edges.setdefault(after, []).append((block_first, level, -1))
            day = after
    target = end + timedelta(days=1)
    best: dict[date, tuple[int, int]] = {start: (0, 0)}
    previous: dict[date, tuple[date, Level, int]] = {}
    queue: list[tuple[int, int, date]] = [(0, 0, start)]
    while queue:
        weight, count, node = heapq.heappop(queue)
        if node == target:
            break
        if (weight, count) > best[node]:
            continue
        for neighbour, level, sign in edges.get(node, []):
            cost = (weight + level.weight, count + 1)
            if neighbour in best and best[neighbour] <= cost:
                continue
            best[neighbour] = cost
            previous[neighbour] = (node, level, sign)
            heapq.heappush(queue, (*cost, neighbour))
    blocks: list[Block] = []
    node = target
    while node != start:
        node, level, sign = previous[node]
        block_first, block_last = level.block(node if sign > 0 else node - timedelta(days=1))
        blocks.append((level, block_first, block_last, sign))
    return sorted(blocks, key=lambda block: (block[1], block[0].field))


def _ranges(plan: list[Block]) -> list[tuple[Level, int, list[tuple[date, date]]]]:
    """The plan's blocks per level and sign as ranges of the level's ``field``
    (consecutive blocks merged): ``[(level, sign, [(first, last), …]), …]``."""
    grouped: dict[tuple[Level, int], list[tuple[date, date]]] = {}
    for level, block_first, _block_last, sign in plan:
        ranges = grouped.setdefault((level, sign), [])
        if ranges and level.block(ranges[-1][1])[1] + timedelta(days=1) == block_first:
            ranges[-1] = (ranges[-1][0], block_first)
        else:
            ranges.append((block_first, block_first))
    return [(level, sign, ranges) for (level, sign), ranges in grouped.items()]


def _per_user_sources(
    start: date, end: date, group: list[str], sums: dict, levels: tuple[Level, ...]
) -> list[tuple[QuerySet, int]]:
    """(queryset, sign) pairs whose rows, summed per ``group`` (user_id and/or model)
    with their sign, give the period's figures (see ``_plan``). Each queryset is
    grouped and ordered by ``group``."""
    # The merge needs one order for all sources: code point order, which is
    # PostgreSQL's "C" collation and SQLite's default.
    order = [Collate(g, "C") for g in group] if connection.vendor == "postgresql" else group
    sources: list[tuple[QuerySet[Any], int]] = []
    for level, sign, ranges in _ranges(_plan(start, end, levels)):
        condition = Q()
        for first, last in ranges:
            condition |= Q(**{f"{level.field}__gte": first, f"{level.field}__lte": last})
        rows = level.model._default_manager.filter(condition)
        sources.append((rows.values(*group).annotate(**sums).order_by(*order), sign))
    return sources


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


def _union_sql(
    start: date, end: date, levels: tuple[Level, ...], keys: list[str], figures: list[str]
) -> tuple[str, list[date]]:
    """PostgreSQL: ``SELECT keys, figures FROM level … UNION ALL …`` over the plan's
    blocks, figures negated in the blocks subtracted, and its parameters."""
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[date] = []
    for level, sign, ranges in _ranges(_plan(start, end, levels)):
        field = quote(level.field)
        columns = [quote(k) for k in keys] + [
            quote(f) if sign > 0 else f"-{quote(f)} AS {quote(f)}" for f in figures
        ]
        condition = " OR ".join([f"({field} >= %s AND {field} <= %s)"] * len(ranges))
        table = quote(level.model._meta.db_table)
        parts.append(f"SELECT {', '.join(columns)} FROM {table} WHERE {condition}")  # noqa: S608
        for first, last in ranges:
            params += [first, last]
    return " UNION ALL ".join(parts), params


@contextmanager
def _aggregating(cursor: Any) -> Iterator[None]:
    """PostgreSQL: a transaction whose statements sum many small rows in memory,
    without parallel workers or JIT compilation.

    Measured on 10 million calls on a busy 2-core machine: a parallel plan of
    ``top_users`` took ten times longer than a serial one (workers wait for a
    core), JIT adds milliseconds of compilation to queries of a few dozen, and
    the default 4 MB ``work_mem`` sorts the report's 600,000 rows on disk
    instead of hashing its 20,000 groups in memory (about half of its time).
    ``set_config(…, true)`` lasts until the end of the transaction (the caller's,
    when there is one).
    """
    with transaction.atomic():
        cursor.execute(
            "SELECT set_config('max_parallel_workers_per_gather', '0', true), "
            "set_config('jit', 'off', true), set_config('work_mem', '64MB', true)"
        )
        yield


_TOP_USERS_POSTGRES = """
SELECT user_id, SUM(calls) AS calls, SUM(cost_usd) AS cost_usd FROM ({union}) AS rows
GROUP BY user_id
HAVING SUM(calls) <> 0
ORDER BY cost_usd DESC, calls DESC, user_id
LIMIT %s
"""


def _top_users(start: date, end: date, limit: int) -> list[dict]:
    """The ``limit`` users with the highest cost in the period (ties: calls, then id).

    Sums per user the blocks of ``_plan`` over ``usage_daily_users``,
    ``usage_weekly_users`` and ``usage_monthly``. PostgreSQL: one statement, ranked
    in the database (see ``_aggregating``). Elsewhere: one query per level and
    sign, merged here.
    """
    if connection.vendor == "postgresql":
        union, params = _union_sql(start, end, PER_USER, ["user_id"], ["calls", "cost_usd"])
        with connection.cursor() as cursor, _aggregating(cursor):
            cursor.execute(_TOP_USERS_POSTGRES.format(union=union), [*params, limit])
            return [
                {"user_id": user_id, "calls": calls, "cost_usd": cost}
                for user_id, calls, cost in cursor.fetchall()
            ]
    sums = {"calls": Sum("calls"), "cost_usd": Sum("cost_usd")}
    sources = _per_user_sources(start, end, ["user_id"], sums, PER_USER)
    users = list(_merged(sources, ["user_id"], ["calls", "cost_usd"]))
    users.sort(key=lambda row: (-row["cost_usd"], -row["calls"], row["user_id"]))
    return users[:limit]


def usage_analytics(*, start: date, end: date, limit: int = TOP_DEFAULT) -> dict:
    """Every user's usage in ``start`` … ``end``: totals, by day, and the ``limit``
    top users and top models by cost (highest first; ties by calls, then name).

    Reads the coarser rollups: totals, ``by_day`` and ``top_models`` from
    ``usage_daily_models`` (a dozen rows a day; two queries), ``top_users`` from
    the blocks of ``_plan`` over ``usage_monthly``, ``usage_weekly_users`` and
    ``usage_daily_users`` (one query on PostgreSQL, one per level and sign elsewhere).
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
# The report's figures (REPORT_COLUMNS after the two keys).
_REPORT_FIGURES = REPORT_COLUMNS[2:]


def usage_report_rows(*, start: date, end: date) -> Iterator[dict]:
    """The cost report's rows: one per user and model with calls in ``start`` … ``end``,
    ordered by user then model (code point order), each with ``REPORT_COLUMNS``.
    Their ``cost_usd`` sums to ``usage_analytics``' total for the same period.

    Whole months are read from ``usage_monthly`` (one row per user, model and
    month), other days from ``usage_daily`` (see ``_plan``): one query per level
    and sign, each ordered by user and model, merged as they stream."""
    group = ["user_id", "model"]
    sources = _per_user_sources(start, end, group, _sums(), PER_USER_MODEL)
    for row in _merged(sources, group, FIGURES):
        yield {name: row[name] for name in REPORT_COLUMNS}


_REPORT_POSTGRES = """
COPY (
    SELECT NULLIF(user_id, '') AS user_id, NULLIF(model, '') AS model, {sums}
    FROM ({union}) AS rows
    GROUP BY user_id, model
    HAVING SUM(calls) <> 0
    ORDER BY user_id COLLATE "C", model COLLATE "C"
) TO STDOUT WITH (FORMAT csv, HEADER)
"""
# Bytes handed to the response at a time.
_CSV_CHUNK = 64 * 1024


def _text(value: Any) -> Any:
    """A report cell as text: USD with the column's 12 decimal places."""
    if isinstance(value, Decimal):
        return f"{value:.12f}"
    return value


class _Lines:
    """A file for ``csv.writer`` whose ``write`` hands back the line."""

    def write(self, value: str) -> str:
        return value


def _report_csv_lines(start: date, end: date) -> Iterator[bytes]:
    writer = csv.writer(_Lines(), lineterminator="\n")
    yield writer.writerow(REPORT_COLUMNS).encode()
    for row in usage_report_rows(start=start, end=end):
        row["cost_usd"] = _text(row["cost_usd"] or Decimal(0))
        yield writer.writerow([row[name] for name in REPORT_COLUMNS]).encode()


def usage_report_csv(*, start: date, end: date) -> Iterator[bytes]:
    """The cost report as UTF-8 CSV: the header ``REPORT_COLUMNS``, then the rows of
    ``usage_report_rows`` (a call without a user or model has an empty cell; costs
    in USD with 12 decimal places; lines end with LF).

    PostgreSQL: made by the database, ``COPY (SELECT … GROUP BY user_id, model
    ORDER BY …) TO STDOUT WITH (FORMAT csv, HEADER)`` over the blocks of ``_plan``
    (``usage_monthly`` and ``usage_daily``), run now and read whole inside its
    transaction (a row per user and model: a few MB at most), then handed out in
    64 kB chunks, so no statement stays open while the client downloads and a
    database error is raised here, before any byte is sent.
    Elsewhere: ``usage_report_rows`` through Python's ``csv`` module, streamed.
    """
    if connection.vendor != "postgresql":
        return _report_csv_lines(start, end)
    quote = connection.ops.quote_name
    union, params = _union_sql(start, end, PER_USER_MODEL, ["user_id", "model"], _REPORT_FIGURES)
    sums = ", ".join(f"SUM({quote(name)}) AS {quote(name)}" for name in _REPORT_FIGURES)
    chunks: list[bytes] = []
    with connection.cursor() as cursor, _aggregating(cursor):
        statement = _REPORT_POSTGRES.format(sums=sums, union=union)
        with cursor.cursor.copy(statement, params) as copy:
            pending = bytearray()
            for data in copy:
                pending += data
                if len(pending) >= _CSV_CHUNK:
                    chunks.append(bytes(pending))
                    pending.clear()
            chunks.append(bytes(pending))
    return iter(chunks)
