"""Where the dashboard's usage figures come from: the daily rollup ``usage_daily``.

Every usage figure of the dashboard and of the user pages is built from what
``usage_source`` returns: rows of ``usage_daily`` (one per UTC day, user,
service and model, kept exact by the usage insert), never the raw
``usage_logs``. The rollup stores "" (not NULL) for a call without a user or a
model.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Aggregate, QuerySet, Sum

from usage.models import UsageDaily


@dataclass(frozen=True)
class UsageSource:
    """Rows of a period and how to read them.

    ``rows``: ``usage_daily`` rows of the period (optionally one user's), grouped
    by its own columns ``day``, ``model`` and ``user_id`` ("" for no model / no
    user). ``measures``: aggregates named ``calls`` (errors included), ``unpriced_calls``
    (calls without a known price) and ``cost_usd`` (Decimal, USD, priced calls
    only; NULL when the period has no row).
    """

    rows: QuerySet
    measures: dict[str, Aggregate]


def usage_source(*, first: date, last: date, user_id: str | None = None) -> UsageSource:
    """Usage of the UTC days ``first``..``last`` (inclusive), from ``usage_daily``
    (unique key ``(day, user_id, service, model)``; one user's rows through
    ``(user_id, day)``)."""
    rows = UsageDaily.objects.filter(day__gte=first, day__lte=last)
    if user_id is not None:
        rows = rows.filter(user_id=user_id)
    return UsageSource(
        rows=rows.order_by(),
        measures={
            "calls": Sum("calls"),
            "unpriced_calls": Sum("unpriced_calls"),
            "cost_usd": Sum("cost_usd"),
        },
    )
