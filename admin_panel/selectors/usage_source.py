"""Where the dashboard's usage figures come from: the usage rollups, never ``usage_logs``.

Every usage figure of the dashboard and of the user pages is built from the
rollups the usage insert keeps exact in its own transaction, so the figures
are never behind the log and cost the same whatever the number of calls:

- ``usage_source`` over all users reads ``usage_daily_models`` (one row per UTC
  day, service and model: a dozen rows a day); for one user it reads
  ``usage_daily`` (one row per UTC day, user, service and model, through the
  index ``(user_id, day)``);
- ``usage_top_users`` reads ``usage_monthly`` (one row per month, user and model).

The rollups store "" (not NULL) for a call without a user or a model.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Aggregate, QuerySet, Sum

from usage.models import UsageDaily, UsageDailyModel, UsageMonthly


@dataclass(frozen=True)
class UsageSource:
    """Rows of a period and how to read them.

    ``rows``: rollup rows of the period, grouped by their own columns ``day`` and
    ``model`` ("" for no model). ``measures``: aggregates named ``calls`` (errors
    included), ``unpriced_calls`` (calls without a known price) and ``cost_usd``
    (Decimal, USD, priced calls only; NULL when the period has no row).
    """

    rows: QuerySet
    measures: dict[str, Aggregate]


def usage_source(*, first: date, last: date, user_id: str | None = None) -> UsageSource:
    """Usage of the UTC days ``first``..``last`` (inclusive): every user's from
    ``usage_daily_models`` (unique key ``(day, service, model)``), one user's from
    ``usage_daily`` (index ``(user_id, day)``)."""
    rows: QuerySet
    if user_id is None:
        rows = UsageDailyModel.objects.filter(day__gte=first, day__lte=last)
    else:
        rows = UsageDaily.objects.filter(day__gte=first, day__lte=last, user_id=user_id)
    return UsageSource(
        rows=rows.order_by(),
        measures={
            "calls": Sum("calls"),
            "unpriced_calls": Sum("unpriced_calls"),
            "cost_usd": Sum("cost_usd"),
        },
    )


@dataclass(frozen=True)
class UserCost:
    """One user's calls and cost (USD, priced calls only) in a month."""

    user_id: str
    calls: int
    cost_usd: Decimal


def usage_top_users(*, month: date, limit: int) -> list[UserCost]:
    """The ``limit`` users with the highest cost in the UTC month that starts on
    ``month`` (its 1st), highest first (ties by user id); calls without a user
    and users without a priced call are left out.

    One query on ``usage_monthly`` (unique key ``(month, user_id, model)``): the
    month's rows (one per user and model) summed per user and ranked in the
    database.
    """
    rows = (
        UsageMonthly.objects.filter(month=month)
        .exclude(user_id="")  # the rollup's "no user"
        .order_by()
        .values("user_id")
        .annotate(calls=Sum("calls"), cost_usd=Sum("cost_usd"))
        .filter(cost_usd__gt=0)
        .order_by("-cost_usd", "user_id")[:limit]
    )
    return [UserCost(row["user_id"], row["calls"], row["cost_usd"]) for row in rows]
