"""Writes of budgets, the threshold alerts, and the quota check before an OpenAI call.

- ``budget_create`` / ``budget_update`` / ``budget_delete``: admins' changes, with
  the rules checked before the database's own CHECK constraints see them;
- ``usage_budgets_evaluate``: called by the usage insert, in its transaction;
  records one ``UsageAlert`` per budget, user, window and threshold crossed and
  mails new ones to the site's admins after commit;
- ``usage_quota_check``: for endpoints that call OpenAI themselves; raises
  ``QuotaExceededError`` (HTTP 429 with ``Retry-After`` and the RateLimit headers).
"""

import json
import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import mail_admins
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from common.db import insert_new_rows
from common.exceptions import QuotaExceededError
from usage.models import Budget, UsageAlert
from usage.selectors.budgets import (
    Quota,
    budget_alert_window_start,
    budgets_for_users,
    ratelimit_headers,
    usage_quota_get,
    usage_used,
)

logger = logging.getLogger(__name__)

DEFAULT_ALERT_THRESHOLDS = [0.8, 0.95]
THRESHOLD_QUANTUM = Decimal("0.0001")
BUDGET_FIELDS = {
    "name",
    "role",
    "user_id",
    "limit_usd",
    "limit_tokens",
    "window",
    "window_days",
    "alert_thresholds",
}


def _thresholds(value: Any) -> list[float]:
    if not isinstance(value, list) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 1 for v in value
    ):
        raise ValidationError(
            {
                "alert_thresholds": ValidationError(
                    "A list of fractions of the limit, each above 0 and at most 1 (0.8 = 80 %).",
                    code="invalid",
                )
            }
        )
    return sorted(set(value))


def _budget_check(budget: Budget) -> None:
    """The rules the database also enforces, as a 400 naming the field."""
    errors: dict = {}
    if bool(budget.role) == bool(budget.user_id):
        errors["user_id"] = ValidationError(
            "Give exactly one of user_id and role.", code="scope_required"
        )
    if budget.limit_usd is None and budget.limit_tokens is None:
        errors["limit_usd"] = ValidationError(
            "Give limit_usd, limit_tokens or both.", code="limit_required"
        )
    if budget.window == Budget.Window.ROLLING and not budget.window_days:
        errors["window_days"] = ValidationError(
            "A rolling window needs window_days (1 or more).", code="required"
        )
    if budget.window != Budget.Window.ROLLING and budget.window_days is not None:
        errors["window_days"] = ValidationError(
            "Only a rolling window has window_days.", code="invalid"
        )
    if errors:
        raise ValidationError(errors)


def budget_create(**fields: Any) -> Budget:
    """Create a budget. Fields as the model's (``alert_thresholds`` default
    ``[0.8, 0.95]``). Raises ValidationError (400) naming the field when the scope is
    not exactly one of ``user_id``/``role``, no limit is given, ``window_days`` does
    not match the window, or a threshold is not in (0, 1]."""
    fields.setdefault("alert_thresholds", list(DEFAULT_ALERT_THRESHOLDS))
    fields["alert_thresholds"] = _thresholds(fields["alert_thresholds"])
    budget = Budget(**fields)
    _budget_check(budget)
    budget.save(force_insert=True)
    return budget


def budget_update(*, budget: Budget, **fields: Any) -> Budget:
    """Change some fields of ``budget`` (a PATCH); the same checks as ``budget_create``
    apply to the result. Alerts already recorded stay."""
    if "alert_thresholds" in fields:
        fields["alert_thresholds"] = _thresholds(fields["alert_thresholds"])
    for key, value in fields.items():
        setattr(budget, key, value)
    _budget_check(budget)
    with transaction.atomic():
        budget.save(update_fields=[*fields, "updated_at"])
    return budget


def budget_delete(*, budget: Budget) -> None:
    """Delete ``budget`` and its alerts."""
    budget.delete()


def _mail_alerts(alerts: list[UsageAlert]) -> None:
    """Mail new alerts to ``settings.ADMINS`` (Django's ``mail_admins``; nothing is sent
    when ADMINS is empty). A mail server that fails is logged, never raised: the
    alert is already recorded and listed at /api/v1/usage/alerts/."""
    for alert in alerts:
        budget = alert.budget
        subject = f"Usage budget {budget} at {alert.threshold * 100:.0f} %"
        body = (
            f"User {alert.user_id} has used {alert.used_usd:.6f} USD and {alert.used_tokens} "
            f"tokens in the window starting {alert.window_start:%Y-%m-%d %H:%M} UTC.\n"
            f"Limits: {budget.limit_usd if budget.limit_usd is not None else '-'} USD, "
            f"{budget.limit_tokens if budget.limit_tokens is not None else '-'} tokens "
            f"({budget.window}).\n"
        )
        try:
            mail_admins(subject, body)
        except Exception:
            logger.exception("usage alert %s could not be mailed to the admins", alert.pk)


def usage_budgets_evaluate(*, user_ids: set[str], now: datetime | None = None) -> set[str]:
    """Check the budgets of ``user_ids`` after new usage; record thresholds crossed.

    For every applicable budget (the user's own, else their role's) and each of its
    ``alert_thresholds`` t: when used ≥ t x limit (USD or tokens), insert a
    ``UsageAlert`` with ``INSERT … ON CONFLICT (budget_id, user_id, window_start,
    threshold) DO NOTHING``: the unique key decides, so two requests crossing at
    once record one alert. New alerts are mailed after commit. Call inside the
    transaction that wrote the usage (the figures then include it).

    Queries: one for the budgets, one for profiles' roles when role budgets exist,
    one or two per budget window in use, one insert when something was crossed;
    one query in all when no budget exists.
    Returns: the users now at or over a limit of one of their budgets.
    """
    now = now or timezone.now()
    applicable = budgets_for_users(user_ids=user_ids)
    by_budget: dict[int, tuple[Budget, set[str]]] = {}
    for user_id, budgets in applicable.items():
        for budget in budgets:
            by_budget.setdefault(budget.pk, (budget, set()))[1].add(user_id)
    exceeded: set[str] = set()
    alerts: list[UsageAlert] = []
    for budget, users in by_budget.values():
        used = usage_used(user_ids=users, budget=budget, now=now)
        window_start = budget_alert_window_start(budget=budget, now=now)
        for user_id, (usd, tokens) in used.items():
            fractions = []
            if budget.limit_usd is not None:
                fractions.append(usd / budget.limit_usd if budget.limit_usd else Decimal(1))
            if budget.limit_tokens is not None:
                fractions.append(
                    Decimal(tokens) / budget.limit_tokens if budget.limit_tokens else Decimal(1)
                )
            reached = max(fractions, default=Decimal(0))
            if reached >= 1:
                exceeded.add(user_id)
            for threshold in budget.alert_thresholds or []:
                try:
                    t = Decimal(str(threshold)).quantize(THRESHOLD_QUANTUM)
                except InvalidOperation:
                    continue
                if reached >= t:
                    alerts.append(
                        UsageAlert(
                            budget=budget,
                            user_id=user_id,
                            threshold=t,
                            window_start=window_start,
                            used_usd=usd,
                            used_tokens=tokens,
                            created_at=now,
                        )
                    )
    if alerts:
        new = insert_new_rows(alerts, conflict="usage_alert_once")
        if new:
            created = list(
                UsageAlert.objects.filter(pk__in=new).select_related("budget").order_by("pk")
            )
            transaction.on_commit(lambda: _mail_alerts(created))
    return exceeded


# A text that PostgreSQL's uuid input accepts (hyphens optional, braces allowed):
# only such user ids are looked up in user_profiles (a cast of another would fail).
_UUID_TEXT = r"^\{?[0-9a-fA-F]{4}(-?[0-9a-fA-F]{4}){7}\}?$"


def usage_budgets_probe_sql(*, source: str) -> str:
    """PostgreSQL: a SQL expression for the final ``SELECT`` of a statement that
    inserted usage rows (the CTE ``source``): the array of those rows' users (no
    duplicates) when a budget may apply to one of them (their own, or any role's
    budget), else NULL. One look at ``usage_budgets`` (cheap to plan and to run);
    pass the result to ``usage_budgets_check``."""
    budgets = connection.ops.quote_name(Budget._meta.db_table)
    return (
        f"(SELECT array_agg(DISTINCT r.user_id) FROM {source} AS r "  # noqa: S608
        f"WHERE r.user_id <> '' AND EXISTS (SELECT 1 FROM {budgets} AS b "
        f"WHERE b.role IS NOT NULL OR b.user_id IN (SELECT r2.user_id FROM {source} AS r2)))"
    )


def usage_budgets_check(*, user_ids: list[str] | None, now: datetime | None = None) -> set[str]:
    """PostgreSQL: ``usage_budgets_evaluate`` in ONE statement, after the usage was
    written (and, outside a transaction, committed).

    The same rules, in SQL, for ``user_ids``: the user's own budgets, else their
    role's (``user_profiles.role``, ``user`` without a profile); windows from
    ``now`` (UTC day, week from Monday, month; rolling: the last
    ``window_days`` x 24 hours: whole days from ``usage_daily``, the first partial
    day from the user's raw rows); used = priced cost in USD and input + output
    tokens. Each threshold t with used ≥ t x limit is inserted into
    ``usage_alerts`` with ``ON CONFLICT (budget, user, window_start, threshold)
    DO NOTHING``: the unique key decides between concurrent requests. New alerts
    are mailed to the admins after commit (one read of them).

    Run after the commit of the usage, the check sees every call committed
    before it, its own included: of concurrent calls, the last to commit sees
    them all, so a threshold they cross together is recorded. Should the process
    stop between the usage's commit and this statement, the next call of the user
    in the window records the alert (a threshold is checked as "at or above",
    not "crossed by this call").

    Returns: the users now at or over a limit of one of their budgets (an empty
    set, and no statement, for no users).
    """
    if not user_ids:
        return set()
    from sessions_app.models import UserProfile
    from usage.models import UsageDaily, UsageLog

    now = now or timezone.now()
    q = connection.ops.quote_name
    budgets = q(Budget._meta.db_table)
    daily = q(UsageDaily._meta.db_table)
    logs = q(UsageLog._meta.db_table)
    profiles = q(UserProfile._meta.db_table)
    alerts = q(UsageAlert._meta.db_table)
    window = q("window")
    midnight = "({}::timestamp AT TIME ZONE 'UTC')"
    today = "(%(now)s::timestamptz AT TIME ZONE 'UTC')::date"
    monday = f"({today} - (extract(isodow FROM {today})::int - 1))"
    month = f"date_trunc('month', {today}::timestamp)"
    rolling_start = "(%(now)s::timestamptz - b.window_days * interval '1 day')"
    # Identifiers come from the models; every value is a parameter.
    sql = (
        "WITH b_users AS (SELECT DISTINCT unnest(%(users)s::text[]) AS uid), "  # noqa: S608
        f"b_own AS (SELECT u.uid, b.id FROM b_users AS u JOIN {budgets} AS b "
        "ON b.user_id = u.uid), "
        "b_pairs AS (SELECT uid, id FROM b_own UNION ALL "
        f"SELECT u.uid, b.id FROM b_users AS u LEFT JOIN {profiles} AS p "
        "ON p.id = (CASE WHEN u.uid ~ %(uuid)s THEN u.uid::uuid END) "
        f"JOIN {budgets} AS b ON b.role = COALESCE(p.role, %(role)s) "
        "WHERE NOT EXISTS (SELECT 1 FROM b_own AS o WHERE o.uid = u.uid)), "
        # Per pair: the window's first whole UTC day, the day after its last (NULL:
        # open, rolling) and, for a rolling window, the start of its partial day.
        "b_windows AS (SELECT p.uid, b.id AS budget_id, b.limit_usd, b.limit_tokens, "
        "b.alert_thresholds, w.first_day, w.end_day, w.partial_from FROM b_pairs AS p "
        f"JOIN {budgets} AS b ON b.id = p.id CROSS JOIN LATERAL (SELECT "
        f"CASE b.{window} WHEN 'daily' THEN {today} WHEN 'weekly' THEN {monday} "
        f"WHEN 'monthly' THEN {month}::date "
        f"ELSE ({rolling_start} AT TIME ZONE 'UTC')::date + 1 END AS first_day, "
        f"CASE b.{window} WHEN 'daily' THEN {today} + 1 WHEN 'weekly' THEN {monday} + 7 "
        f"WHEN 'monthly' THEN ({month} + interval '1 month')::date END AS end_day, "
        f"CASE WHEN b.{window} = 'rolling' THEN {rolling_start} END AS partial_from) AS w), "
        # Set-based (a join and GROUP BY per source, not a look-up per pair): a
        # batch checks up to 1,000 users at once.
        f"b_days AS (SELECT w.uid, w.budget_id, sum(d.cost_usd) AS usd, "
        f"sum(d.input_tokens + d.output_tokens) AS tokens FROM b_windows AS w "
        f"JOIN {daily} AS d ON d.user_id = w.uid AND d.day >= w.first_day "
        "AND (w.end_day IS NULL OR d.day < w.end_day) GROUP BY 1, 2), "
        # A rolling window's partial first day: one user's raw rows of part of a
        # day, looked up per pair through (user_id, created_at).
        "b_partial AS (SELECT w.uid, w.budget_id, p.usd, p.tokens FROM b_windows AS w "
        "CROSS JOIN LATERAL (SELECT sum(l.cost_usd) AS usd, "
        f"sum(l.input_tokens + l.output_tokens) AS tokens FROM {logs} AS l "
        "WHERE l.user_id = w.uid AND l.created_at >= w.partial_from "
        f"AND l.created_at < {midnight.format('w.first_day')}) AS p "
        "WHERE w.partial_from IS NOT NULL), "
        "b_figures AS (SELECT w.*, COALESCE(x.usd, 0) + COALESCE(y.usd, 0) AS usd, "
        "COALESCE(x.tokens, 0) + COALESCE(y.tokens, 0) AS tokens, "
        f"CASE WHEN w.partial_from IS NULL THEN {midnight.format('w.first_day')} "
        f"ELSE {midnight.format('(w.first_day - 1)')} END AS alert_start "
        "FROM b_windows AS w "
        "LEFT JOIN b_days AS x ON x.uid = w.uid AND x.budget_id = w.budget_id "
        "LEFT JOIN b_partial AS y ON y.uid = w.uid AND y.budget_id = w.budget_id), "
        f"b_alerts AS (INSERT INTO {alerts} (budget_id, user_id, threshold, window_start, "
        "used_usd, used_tokens, created_at) SELECT f.budget_id, f.uid, t.threshold, "
        "f.alert_start, f.usd, f.tokens, %(now)s::timestamptz FROM b_figures AS f "
        "CROSS JOIN LATERAL (SELECT DISTINCT round(v.value::text::numeric, 4) AS threshold "
        "FROM jsonb_array_elements(CASE WHEN jsonb_typeof(f.alert_thresholds) = 'array' "
        "THEN f.alert_thresholds ELSE '[]'::jsonb END) AS v "
        "WHERE jsonb_typeof(v.value) = 'number') AS t "
        "WHERE (f.limit_usd IS NOT NULL AND f.usd >= t.threshold * f.limit_usd) "
        "OR (f.limit_tokens IS NOT NULL AND f.tokens >= t.threshold * f.limit_tokens) "
        "ORDER BY 1, 2, 4, 3 ON CONFLICT (budget_id, user_id, window_start, threshold) "
        "DO NOTHING RETURNING *) "
        "SELECT (SELECT array_agg(DISTINCT f.uid) FROM b_figures AS f "
        "WHERE (f.limit_usd IS NOT NULL AND f.usd >= f.limit_usd) "
        "OR (f.limit_tokens IS NOT NULL AND f.tokens >= f.limit_tokens)), "
        # The new alerts with their budgets, for the mail (as text: exact decimals).
        "(SELECT json_agg(json_build_array(row_to_json(a), row_to_json(b)) ORDER BY a.id)::text "
        f"FROM b_alerts AS a JOIN {budgets} AS b ON b.id = a.budget_id)"
    )
    values: dict[str, Any] = {
        "now": now,
        "users": sorted(set(user_ids)),
        "uuid": _UUID_TEXT,
        "role": UserProfile.Role.USER.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        exceeded, new_alerts = cursor.fetchone()
    if new_alerts:
        created = [
            _alert_from_json(alert, budget)
            for alert, budget in json.loads(new_alerts, parse_float=Decimal)
        ]
        transaction.on_commit(lambda: _mail_alerts(created))
    return set(exceeded or ())


def _from_json(model: type[Model], row: dict[str, Any]) -> Any:
    """An instance of ``model`` from its row as ``row_to_json`` gives it."""
    fields = model._meta.concrete_fields
    values = [row[str(f.column)] for f in fields]
    return model.from_db(
        None,
        [f.attname for f in fields],
        [None if v is None else f.to_python(v) for f, v in zip(fields, values, strict=True)],
    )


def _alert_from_json(alert: dict[str, Any], budget: dict[str, Any]) -> UsageAlert:
    instance = _from_json(UsageAlert, alert)
    instance.budget = _from_json(Budget, budget)
    return instance


def usage_quota_check(*, user_id: str | None) -> Quota:
    """Refuse an OpenAI call for a user who has used up a budget; call it BEFORE the call.

    For endpoints of this project that call OpenAI themselves (document upload):
    ``usage_quota_check(user_id=request.user.pk)`` first thing in the view or
    service. The common error handler turns the exception into HTTP 429 with
    ``Retry-After`` (seconds until every exhausted budget's window has moved on;
    RFC 9110 section 10.2.3) and the ``RateLimit-Policy`` / ``RateLimit`` headers
    (IETF httpapi draft "RateLimit header fields for HTTP").

    Returns: the Quota (allowed) for a user within every budget, or with no user.
    Raises: QuotaExceededError (429, code ``budget_exceeded``) when a budget is used up.
    """
    if not user_id:
        return Quota(allowed=True, budgets=[])
    quota = usage_quota_get(user_id=str(user_id))
    if not quota.allowed:
        raise QuotaExceededError(
            "A usage budget is used up; retry after its window has moved on.",
            retry_after=quota.retry_after,
            headers=ratelimit_headers(quota),
        )
    return quota
