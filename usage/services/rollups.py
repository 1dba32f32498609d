"""The daily rollup ``usage_daily``: kept exact on every insert, rebuilt on demand.

Every analytics figure reads ``usage_daily``, never ``usage_logs``. The service
that inserts raw rows calls ``usage_rollups_add`` in the same transaction, so a
figure is never behind the log; ``usage_rollups_rebuild`` recomputes days from
the raw rows (after a manual fix of ``usage_logs``, or to check the rollup).
"""

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, TextIO

from django.core.management.base import OutputWrapper
from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate

from usage.models import UsageDaily, UsageLog

# The figures of a rollup row, in the order of the upsert's columns.
SUMS = [
    "calls",
    "error_calls",
    "unpriced_calls",
    "input_tokens",
    "cached_input_tokens",
    "output_tokens",
    "reasoning_output_tokens",
    "total_tokens",
    "cost_usd",
]
KEY = ["day", "user_id", "service", "model"]


def usage_day(moment: datetime) -> date:
    """The UTC day a call made at ``moment`` (aware) is counted under."""
    return moment.astimezone(UTC).date()


def usage_rollups_add(*, logs: list[UsageLog]) -> int:
    """Add freshly inserted usage rows to their ``usage_daily`` rows.

    The rows are summed per (UTC day, user, service, model) in Python, then
    written with one ``INSERT … ON CONFLICT (day, user_id, service, model) DO
    UPDATE SET calls = usage_daily.calls + excluded.calls, …`` (PostgreSQL, and
    SQLite 3.24+). Two transactions adding to the same key both count: the second
    waits for the first's row lock and adds to the committed figures. Keys are
    written in sorted order, so two batches never wait for each other crosswise.
    Call it inside the transaction that inserted ``logs``, with only the rows
    actually written (not the duplicates skipped).

    Returns: the number of rollup rows touched.
    """
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, 0, Decimal(0)])
    for log in logs:
        row = sums[(usage_day(log.created_at), log.user_id or "", log.service, log.rollup_model)]
        row[0] += 1
        row[1] += log.status == UsageLog.Status.ERROR
        row[2] += log.price_unknown
        row[3] += log.input_tokens
        row[4] += log.cached_input_tokens
        row[5] += log.output_tokens
        row[6] += log.reasoning_output_tokens
        row[7] += log.total_tokens
        row[8] += log.cost_usd or 0
    if not sums:
        return 0
    quote = connection.ops.quote_name
    table = quote(UsageDaily._meta.db_table)
    cost_field = UsageDaily._meta.get_field("cost_usd")
    day_field = UsageDaily._meta.get_field("day")
    columns = ", ".join(quote(c) for c in KEY + SUMS)
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in SUMS)
    row_sql = "(" + ", ".join(["%s"] * (len(KEY) + len(SUMS))) + ")"
    keys = sorted(sums)
    conflict = f"ON CONFLICT ({', '.join(quote(c) for c in KEY)}) DO UPDATE SET {updates}"
    if connection.vendor == "postgresql":
        # One array per column (unnest): a dozen parameters instead of 13 per row.
        fields = [UsageDaily._meta.get_field(name) for name in KEY + SUMS]
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        rows = [(*key, *sums[key]) for key in keys]
        values_by_column = [[row[c] for row in rows] for c in range(len(fields))]
        sql = f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) {conflict}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, values_by_column)
        return len(keys)
    batch = max(1, connection.ops.bulk_batch_size(KEY + SUMS, keys))
    with connection.cursor() as cursor:
        for i in range(0, len(keys), batch):
            chunk = keys[i : i + batch]
            params: list = []
            for key in chunk:
                row = sums[key]
                params += [day_field.get_db_prep_save(key[0], connection), *key[1:], *row[:8]]
                params.append(cost_field.get_db_prep_save(row[8], connection))
            # Identifiers come from the model (quoted); every value is a parameter.
            values = ", ".join([row_sql] * len(chunk))
            sql = f"INSERT INTO {table} ({columns}) VALUES {values} {conflict}"  # noqa: S608
            cursor.execute(sql, params)
    return len(keys)


def _raw_aggregate(start: datetime, end: datetime) -> QuerySet[UsageLog, Any]:
    """The raw rows of [start, end) summed per rollup key, as a queryset whose
    SELECT lists the columns of ``KEY + SUMS`` in that order."""
    return (
        UsageLog.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .annotate(
            r_day=TruncDate("created_at", tzinfo=UTC),
            r_user=Coalesce("user_id", Value("")),
            r_service=F("service"),
            r_model=Coalesce("request_model", "response_model", Value("")),
        )
        # Every column is an annotation, so the SELECT lists them in this order.
        .values("r_day", "r_user", "r_service", "r_model")
        .annotate(
            r_calls=Count("id"),
            r_error_calls=Sum(
                Case(When(status="error", then=1), default=0, output_field=IntegerField())
            ),
            r_unpriced_calls=Sum(
                Case(When(price_unknown=True, then=1), default=0, output_field=IntegerField())
            ),
            r_input_tokens=Sum("input_tokens"),
            r_cached_input_tokens=Sum("cached_input_tokens"),
            r_output_tokens=Sum("output_tokens"),
            r_reasoning_output_tokens=Sum("reasoning_output_tokens"),
            r_total_tokens=Sum("total_tokens"),
            r_cost_usd=Coalesce(Sum("cost_usd"), Value(Decimal(0))),
        )
    )


def usage_rollups_rebuild(
    *, since: date, until: date | None = None, stdout: OutputWrapper | TextIO | None = None
) -> int:
    """Recompute ``usage_daily`` from ``usage_logs`` for the UTC days ``since`` … ``until``.

    Set-based and bounded: one transaction per day, each a ``DELETE`` of the day's
    rollup rows and one ``INSERT INTO usage_daily … SELECT … GROUP BY`` over that
    day's raw rows. On PostgreSQL the day's transaction first takes ``LOCK TABLE
    usage_daily IN SHARE ROW EXCLUSIVE MODE``: concurrent inserts of usage wait
    for that one day's recomputation (typically well under a second) instead of
    adding to rows being replaced. SQLite's write lock does the same.

    Args: ``since`` first UTC day; ``until`` last UTC day (default: the last day
    that has raw rows or rollup rows, at least today).
    Returns: the number of rollup rows written.
    """
    today = datetime.now(UTC).date()
    if until is None:
        last_raw = UsageLog.objects.order_by("-created_at").values_list("created_at", flat=True)
        last_rollup = UsageDaily.objects.order_by("-day").values_list("day", flat=True)
        candidates = [today]
        if last_time := last_raw.first():
            candidates.append(usage_day(last_time))
        if last_day := last_rollup.first():
            candidates.append(last_day)
        until = max(candidates)
    quote = connection.ops.quote_name
    table = quote(UsageDaily._meta.db_table)
    columns = ", ".join(quote(c) for c in KEY + SUMS)
    written = 0
    day = since
    while day <= until:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        select_sql, params = _raw_aggregate(
            start, start + timedelta(days=1)
        ).query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            UsageDaily.objects.filter(day=day).delete()
            cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql}", params)
            written += max(cursor.rowcount, 0)
        if stdout is not None:
            stdout.write(f"{day}: rebuilt")
        day += timedelta(days=1)
    return written
