"""The migrations that add the rollups fill them from the usage rows recorded before."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.usage.factories import UsageLogFactory
from tests.usage.test_ingest_api import coarse_levels_equal_daily
from usage.models import UsageDaily, UsageWeeklyUser


@pytest.mark.django_db(transaction=True)
def test_existing_usage_rows_are_rolled_up_by_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate([("usage", "0003_usage_daily_budgets_alerts")])
    try:
        # Rows written before the rollup existed (no rollup upsert ran for them).
        UsageLogFactory(user_id="u1", created_at="2026-01-01T23:30:00Z")
        UsageLogFactory(user_id="u1", created_at="2026-01-01T10:00:00Z", status="error")
        UsageLogFactory(
            user_id=None,
            request_model=None,
            response_model="gpt-4o-mini",
            created_at="2026-01-02T00:00:00Z",
            cost_usd=None,
            price_unknown=True,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {(r.day.isoformat(), r.user_id, r.model): r for r in UsageDaily.objects.all()}
    first = rows[("2026-01-01", "u1", "gpt-4o")]
    assert (first.calls, first.error_calls, first.cost_usd) == (2, 1, Decimal("0.0015"))
    unpriced = rows[("2026-01-02", "", "gpt-4o-mini")]
    assert (unpriced.calls, unpriced.unpriced_calls, unpriced.cost_usd) == (1, 1, 0)
    # Thursday and Friday of the ISO week from Monday 2025-12-29.
    weekly = {(r.week.isoformat(), r.user_id): r.calls for r in UsageWeeklyUser.objects.all()}
    assert weekly == {("2025-12-29", "u1"): 2, ("2025-12-29", ""): 1}
    coarse_levels_equal_daily()
