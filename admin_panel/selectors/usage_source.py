"""Where the dashboard's usage figures come from: the one place to switch.

Today they are aggregated from the raw ``usage_logs`` (indexed on
``created_at``). When the daily rollup table ``usage_daily`` exists, replace
``usage_source`` below with the version in its docstring: every usage figure of
the dashboard and of the user pages is built from what it returns.
"""

from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.db.models import Aggregate, Count, F, Q, QuerySet, Sum
from django.db.models.expressions import Combinable
from django.db.models.functions import TruncDate

from admin_panel.selectors.periods import day_start
from usage.models import UsageLog


@dataclass(frozen=True)
class UsageSource:
    """Rows of a period and how to read them.

    ``rows``: the rows of the period (optionally one user's). ``day``, ``model``
    and ``user_id``: expressions for grouping. ``measures``: aggregates named
    ``calls``, ``unpriced_calls`` (calls without a known price) and ``cost_usd``
    (Decimal, USD; NULL when no priced call).
    """

    rows: QuerySet
    day: Combinable
    model: Combinable
    user_id: Combinable
    measures: dict[str, Aggregate]


def usage_source(*, first: date, last: date, user_id: str | None = None) -> UsageSource:
    """Usage of the UTC days ``first``..``last`` (inclusive), from ``usage_logs``.

    With the rollup, this becomes::

        rows = UsageDaily.objects.filter(day__gte=first, day__lte=last)
        (+ .filter(user_id=user_id) when given)
        return UsageSource(rows, F("day"), F("model"), F("user_id"), {
            "calls": Sum("calls"), "unpriced_calls": Sum("unpriced_calls"),
            "cost_usd": Sum("cost_usd")})
    """
    rows = UsageLog.objects.filter(
        created_at__gte=day_start(first), created_at__lt=day_start(last + timedelta(days=1))
    )
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    return UsageSource(
        rows=rows.order_by(),
        day=TruncDate("created_at", tzinfo=UTC),
        model=F("request_model"),
        user_id=F("user_id"),
        measures={
            "calls": Count("id"),
            "unpriced_calls": Count("id", filter=Q(price_unknown=True)),
            "cost_usd": Sum("cost_usd"),
        },
    )
