"""The rollups (``LEVELS``): kept exact on every insert, rebuilt on demand.

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
from django.db.models.functions import Coalesce, TruncDate, TruncMonth, TruncWeek

from usage.models import (
    RollupFigures,
    UsageDaily,
    UsageDailyModel,
    UsageDailyUser,
    UsageLog,
    UsageMonthly,
    UsageWeeklyUser,
)

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


# The rollup levels the insert keeps exact, in the order their rows are locked by
# every writer (the upsert statements and the rebuild's LOCK TABLE), so that two
# writers never wait for each other crosswise. The levels per user come first and
# the one over all users last: its rows are shared by every call of a model on a
# day, so they are held locked for the shortest time before the commit.
LEVELS: list[tuple[type[RollupFigures], list[str]]] = [
    (UsageDaily, ["day", "user_id", "service", "model"]),
    (UsageDailyUser, ["day", "user_id"]),
    (UsageMonthly, ["month", "user_id", "model"]),
    (UsageWeeklyUser, ["week", "user_id"]),
    (UsageDailyModel, ["day", "service", "model"]),
]


def _level(model: type[RollupFigures]) -> tuple[type[RollupFigures], list[str]]:
    """``model``'s entry of ``LEVELS``: the model and its key columns."""
    return next(level for level in LEVELS if level[0] is model)


def _key_values(day: date, user: str, service: str, model: str) -> dict[str, Any]:
    """The value of every key column a level of ``LEVELS`` may have, for a call
    counted under UTC ``day``: ``week`` is the ISO week's Monday, ``month`` the 1st."""
    return {
        "day": day,
        "week": day - timedelta(days=day.weekday()),
        "month": day.replace(day=1),
        "user_id": user,
        "service": service,
        "model": model,
    }


def _sums_per_key(logs: list[UsageLog]) -> list[dict[tuple, list]]:
    """The rows' figures summed per key of each level of ``LEVELS``."""
    levels: list[dict[tuple, list]] = [
        defaultdict(lambda: [0, 0, 0, 0, 0, 0, 0, 0, Decimal(0)]) for _ in LEVELS
    ]
    for log in logs:
        day = usage_day(log.created_at)
        user, service, model = log.user_id or "", log.service, log.rollup_model
        figures = (
            1,
            log.status == UsageLog.Status.ERROR,
            log.price_unknown,
            log.input_tokens,
            log.cached_input_tokens,
            log.output_tokens,
            log.reasoning_output_tokens,
            log.total_tokens,
            log.cost_usd or 0,
        )
        values = _key_values(day, user, service, model)
        keys = [tuple(values[name] for name in key) for _model, key in LEVELS]
        for sums, key in zip(levels, keys, strict=True):
            row = sums[key]
            for i, value in enumerate(figures):
                row[i] += value
    return levels


def _upsert_head(model: type[RollupFigures], key: list[str]) -> tuple[str, str]:
    """``INSERT INTO table (columns)`` and its ``ON CONFLICT (key) DO UPDATE SET`` that adds."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(c) for c in key + SUMS)
    updates = ", ".join(f"{quote(c)} = {table}.{quote(c)} + excluded.{quote(c)}" for c in SUMS)
    conflict = f"ON CONFLICT ({', '.join(quote(c) for c in key)}) DO UPDATE SET {updates}"
    return f"INSERT INTO {table} ({columns})", conflict


def _after(*previous: str | None) -> str:
    """`` WHERE (SELECT count(*) FROM <a>) >= 0 AND …`` for each CTE named (None
    skipped; nothing when none is left): makes a data-modifying CTE wait until
    those CTEs have run. PostgreSQL runs the CTEs a statement does not read after
    its main query, in no promised order; chained this way, the rollup levels are
    written in the order given."""
    waits = [f"(SELECT count(*) FROM {name}) >= 0" for name in previous if name]  # noqa: S608
    return f" WHERE {' AND '.join(waits)}" if waits else ""


def usage_rollups_add(*, logs: list[UsageLog]) -> int:
    """Add freshly inserted usage rows to their rollup rows at every level.

    The levels (``LEVELS``): ``usage_daily`` (UTC day, user, service, model),
    ``usage_daily_users`` (UTC day, user), ``usage_daily_models`` (UTC day,
    service, model), ``usage_monthly`` (UTC month, user, model) and
    ``usage_weekly_users`` (ISO week from Monday, user).
    The rows are summed per key in Python, then written with
    ``INSERT … ON CONFLICT (key) DO UPDATE SET calls = t.calls + excluded.calls, …``.
    PostgreSQL: ONE statement for every level (all but the last as
    data-modifying CTEs, each fed by ``unnest`` arrays: a dozen parameters per
    level, not 13 per row), so keeping them exact costs no extra round trip.
    SQLite (3.24+): one statement per level (and per batch of rows).

    Two transactions adding to the same key both count: the second waits for the
    first's row lock and adds to the committed figures. Levels are written in a
    fixed order and keys in sorted order, so two batches never wait for each other
    crosswise. Call it inside the transaction that inserted ``logs``, with only
    the rows actually written (not the duplicates skipped).

    Returns: the number of rollup rows touched (all levels).
    """
    levels = _sums_per_key(logs)
    if not levels[0]:
        return 0
    touched = sum(len(sums) for sums in levels)
    if connection.vendor == "postgresql":
        parts: list[str] = []
        params: list[list] = []
        for (model, key), sums in zip(LEVELS, levels, strict=True):
            fields = [model._meta.get_field(name) for name in key + SUMS]
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
            head, conflict = _upsert_head(model, key)
            # Each level waits for the previous one: LEVELS' lock order.
            gate = _after(f"level{len(parts) - 1}" if parts else None)
            parts.append(f"{head} SELECT * FROM unnest({arrays}) AS u{gate} {conflict}")  # noqa: S608
            rows = [(*k, *sums[k]) for k in sorted(sums)]
            params += [[row[c] for row in rows] for c in range(len(fields))]
        # Data-modifying CTEs run exactly once whether or not their result is read.
        ctes = ", ".join(f"level{i} AS ({part} RETURNING 1)" for i, part in enumerate(parts[:-1]))
        with connection.cursor() as cursor:
            cursor.execute(f"WITH {ctes} {parts[-1]}", params)
        return touched
    cost_field = UsageDaily._meta.get_field("cost_usd")
    with connection.cursor() as cursor:
        for (model, key), sums in zip(LEVELS, levels, strict=True):
            head, conflict = _upsert_head(model, key)
            row_sql = "(" + ", ".join(["%s"] * (len(key) + len(SUMS))) + ")"
            keys = sorted(sums)
            batch = max(1, connection.ops.bulk_batch_size(key + SUMS, keys))
            for i in range(0, len(keys), batch):
                chunk = keys[i : i + batch]
                values: list = []
                for k in chunk:
                    row = sums[k]
                    values += [str(k[0]), *k[1:], *row[:8]]
                    values.append(cost_field.get_db_prep_save(row[8], connection))
                # Identifiers come from the models (quoted); every value is a parameter.
                cursor.execute(
                    f"{head} VALUES {', '.join([row_sql] * len(chunk))} {conflict}", values
                )
    return touched


# PostgreSQL: each key column a rollup level may have, computed from a usage_logs
# row ``r`` with the same values as ``_sums_per_key`` (UTC day and month; "" for
# no user or model; the requested model, else the one the API answered with).
_KEY_SQL = {
    "day": "(r.created_at AT TIME ZONE 'UTC')::date",
    "month": "date_trunc('month', r.created_at AT TIME ZONE 'UTC')::date",
    "week": "date_trunc('week', r.created_at AT TIME ZONE 'UTC')::date",  # ISO: Monday
    "user_id": "COALESCE(r.user_id, '')",
    "service": "r.service",
    "model": "COALESCE(NULLIF(r.request_model, ''), NULLIF(r.response_model, ''), '')",
}
# Each figure of ``SUMS`` over the rows of one key (tokens: ``sum``).
_SUM_SQL = {
    "calls": "count(*)",
    "error_calls": f"count(*) FILTER (WHERE r.status = '{UsageLog.Status.ERROR.value}')",
    "unpriced_calls": "count(*) FILTER (WHERE r.price_unknown)",
    "cost_usd": "COALESCE(sum(r.cost_usd), 0)",
}


def _rollup_cte_name(model: type[RollupFigures]) -> str:
    """The name of ``model``'s CTE in ``usage_rollups_statement_parts``' statement."""
    return f"rollup_{model._meta.db_table}"


def _sums_cte_name(model: type[RollupFigures]) -> str:
    """The name of the CTE summing ``model``'s rows in that statement."""
    return f"sums_{model._meta.db_table}"


def usage_rollups_statement_parts(
    *,
    source: str,
    levels: list[tuple[type[RollupFigures], list[str]]] | None = None,
    after: str | None = None,
) -> list[str]:
    """PostgreSQL: the rollup upserts of every level of ``LEVELS`` as parts of a
    data-modifying ``WITH``, summing in SQL the ``usage_logs`` rows that the CTE
    ``source`` returns (``INSERT INTO usage_logs … RETURNING …`` with at least
    ``user_id, service, request_model, response_model, status, price_unknown,
    created_at`` and the token and cost columns).

    ``levels``: a part of ``LEVELS`` (default: all), written in that order;
    ``after``: a CTE of the same statement that the first level waits for.

    First a part per level ``sums_<table> AS MATERIALIZED (SELECT <key>,
    count(*), …, sum(cost_usd) FROM source GROUP BY <key>)``, then one per level
    ``rollup_<table> AS (INSERT INTO <table> (key, figures) SELECT * FROM
    sums_<table> … ORDER BY <key> ON CONFLICT (key) DO UPDATE SET calls =
    t.calls + excluded.calls, … RETURNING 1)``. The first level is gated on every
    level's sums (``WHERE (SELECT count(*) FROM sums_<table>) >= 0 AND …``), so
    all of them are computed before the statement takes its first rollup row
    lock (a concurrent batch of the same users waits for those locks until this
    statement commits); each further level is gated on the previous one, so the
    levels are written in the order given and keys in sorted order: as long as
    every statement writes the levels in the same order, two statements never
    wait for each other crosswise. Race-safe as ``usage_rollups_add``: a
    concurrent statement adding to the same key waits for the row lock, then
    adds to the committed figures.

    Returns: the parts, in order (no parameters).
    Raises: KeyError for a level keyed on a column this module cannot compute.
    """
    quote = connection.ops.quote_name
    chosen = LEVELS if levels is None else levels
    sums_parts, parts = [], []
    for model, key in chosen:
        keys = ", ".join(_KEY_SQL[name] for name in key)
        sums = ", ".join(_SUM_SQL.get(name, f"sum(r.{quote(name)})") for name in SUMS)
        positions = ", ".join(str(i) for i in range(1, len(key) + 1))
        sums_parts.append(
            f"{_sums_cte_name(model)} AS MATERIALIZED (SELECT {keys}, {sums} "  # noqa: S608
            f"FROM {source} AS r GROUP BY {positions})"
        )
    # The first level waits for every level's sums: all of them are computed before
    # the statement's first rollup row lock, and none while it holds them.
    waits = [after, *(_sums_cte_name(model) for model, _key in chosen)]
    for model, key in chosen:
        head, conflict = _upsert_head(model, key)
        positions = ", ".join(str(i) for i in range(1, len(key) + 1))
        name = _rollup_cte_name(model)
        parts.append(
            f"{name} AS ({head} SELECT * FROM {_sums_cte_name(model)} AS s"  # noqa: S608
            f"{_after(*waits)} ORDER BY {positions} {conflict} RETURNING 1)"
        )
        waits = [name]
    return sums_parts + parts


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


# Each key column of a coarser level, computed from a ``usage_daily`` row.
_KEY_EXPRESSIONS: dict[str, Any] = {
    "day": F("day"),
    "week": TruncWeek("day"),
    "month": TruncMonth("day"),
    "user_id": F("user_id"),
    "service": F("service"),
    "model": F("model"),
}


def _coarse_aggregate(model: type[RollupFigures], start: date, end: date) -> QuerySet:
    """``usage_daily``'s rows of the UTC days ``start`` … ``end`` summed per key of
    ``model``'s level, as a queryset whose SELECT lists ``key + SUMS`` in that order."""
    rows = UsageDaily.objects.filter(day__gte=start, day__lte=end).order_by()
    _model, key = _level(model)
    keys = {f"r_{name}": _KEY_EXPRESSIONS[name] for name in key}
    # Every column is an annotation, so the SELECT lists them in this order.
    grouped: QuerySet[Any, Any] = rows.annotate(**keys).values(*keys)
    return grouped.annotate(**{f"r_{name}": Sum(name) for name in SUMS})


def _lock_rollups(cursor: Any) -> None:
    """PostgreSQL: make concurrent inserts of usage wait while rollup rows are
    replaced (instead of adding to rows being deleted). Same table order as the
    insert's upsert, so the two never deadlock. SQLite's write lock does the same."""
    if connection.vendor == "postgresql":
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m, _ in LEVELS)
        cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")


def _replace(cursor: Any, model: type[RollupFigures], key: list[str], source: QuerySet) -> int:
    """``INSERT INTO`` ``model``'s table the rows of ``source`` (``key + SUMS``)."""
    head, _ = _upsert_head(model, key)
    select_sql, params = source.query.sql_with_params()
    cursor.execute(f"{head} {select_sql}", params)
    return max(cursor.rowcount, 0)


def _coarse_replace(
    cursor: Any, model: type[RollupFigures], field: str, first: date, last: date
) -> int:
    """Replace ``model``'s rows of the block that starts on ``first`` (its column
    ``field``) by ``usage_daily``'s days ``first`` … ``last`` summed per its key."""
    model._default_manager.filter(**{field: first}).delete()
    return _replace(cursor, *_level(model), _coarse_aggregate(model, first, last))


# The levels rebuilt day by day from ``usage_daily`` (after its own day).
_DAY_LEVELS = (UsageDailyUser, UsageDailyModel)

# The levels rebuilt by whole blocks of days: the column naming a block by its
# first day, that first day for a day inside it, the next block's first day, and
# the rebuild's progress line.
_BLOCKS: dict[type[RollupFigures], tuple[str, Any, Any, str]] = {
    UsageMonthly: (
        "month",
        lambda day: day.replace(day=1),
        lambda first: (first + timedelta(days=32)).replace(day=1),
        "{:%Y-%m}: rebuilt",
    ),
    UsageWeeklyUser: (
        "week",
        lambda day: day - timedelta(days=day.weekday()),
        lambda first: first + timedelta(days=7),
        "week of {}: rebuilt",
    ),
}


def _blocks_rebuild(
    *, since: date, until: date, stdout: OutputWrapper | TextIO | None = None
) -> int:
    """Recompute ``usage_monthly`` (UTC months) and ``usage_weekly_users`` (ISO weeks
    from Monday, UTC) from ``usage_daily`` for every block that ``since`` …
    ``until`` touches (whole blocks), one transaction per block."""
    written = 0
    for model, (field, first_of, following, progress) in _BLOCKS.items():
        first = first_of(since)
        while first <= until:
            after = following(first)
            with transaction.atomic(), connection.cursor() as cursor:
                _lock_rollups(cursor)
                written += _coarse_replace(cursor, model, field, first, after - timedelta(days=1))
            if stdout is not None:
                stdout.write(progress.format(first))
            first = after
    return written


def usage_coarse_rollups_rebuild(*, since: date, until: date) -> int:
    """Recompute ``usage_daily_users``, ``usage_daily_models``, ``usage_monthly`` and
    ``usage_weekly_users`` from ``usage_daily`` for the UTC days ``since`` … ``until``
    (``usage_monthly`` and ``usage_weekly_users``: every month and week they touch,
    whole). Set-based: per day, month and week one transaction with a ``DELETE`` and
    an ``INSERT … SELECT … GROUP BY`` per level. For a bulk load that fills
    ``usage_daily`` itself (``generate_usage``) and for ``usage_rollups_rebuild``.

    Returns: the number of rollup rows written.
    """
    written = 0
    day = since
    while day <= until:
        with transaction.atomic(), connection.cursor() as cursor:
            _lock_rollups(cursor)
            for model in _DAY_LEVELS:
                written += _coarse_replace(cursor, model, "day", day, day)
        day += timedelta(days=1)
    return written + _blocks_rebuild(since=since, until=until)


def usage_rollups_rebuild(
    *, since: date, until: date | None = None, stdout: OutputWrapper | TextIO | None = None
) -> int:
    """Recompute the rollups from ``usage_logs`` for the UTC days ``since`` … ``until``.

    Set-based and bounded: one transaction per day, each a ``DELETE`` of the day's
    rollup rows and one ``INSERT INTO usage_daily … SELECT … GROUP BY`` over that
    day's raw rows, then the same for ``usage_daily_users`` and
    ``usage_daily_models`` from the day's ``usage_daily`` rows; then one
    transaction per month and per ISO week touched (whole) for ``usage_monthly``
    and ``usage_weekly_users`` from ``usage_daily``. On
    PostgreSQL each transaction first takes ``LOCK TABLE`` on every level of
    ``LEVELS`` ``IN SHARE ROW EXCLUSIVE MODE``: concurrent inserts of usage wait
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
            _lock_rollups(cursor)
            UsageDaily.objects.filter(day=day).delete()
            cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql}", params)
            written += max(cursor.rowcount, 0)
            for model in _DAY_LEVELS:
                written += _coarse_replace(cursor, model, "day", day, day)
        if stdout is not None:
            stdout.write(f"{day}: rebuilt")
        day += timedelta(days=1)
    # Months and weeks after their days: one partly outside the range is summed
    # from usage_daily, exact for its other days too.
    return written + _blocks_rebuild(since=since, until=until, stdout=stdout)
