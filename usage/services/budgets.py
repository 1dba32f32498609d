"""Writes of budgets, the threshold alerts, and the quota check before an OpenAI call.

- ``budget_create`` / ``budget_update`` / ``budget_delete``: admins' changes, with
  the rules checked before the database's own CHECK constraints see them;
- ``usage_budgets_evaluate``: called by the usage insert, in its transaction;
  records one ``UsageAlert`` per budget, user, window and threshold crossed and
  mails new ones to the site's admins after commit;
- ``usage_quota_check``: for endpoints that call OpenAI themselves; raises
  ``QuotaExceededError`` (HTTP 429 with ``Retry-After`` and the RateLimit headers).
"""

import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import mail_admins
from django.db import transaction
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
