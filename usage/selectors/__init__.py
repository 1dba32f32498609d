"""Reads of usage: analytics from the daily rollup, budgets' windows and quotas."""

from usage.selectors.analytics import (
    REPORT_COLUMNS,
    usage_analytics,
    usage_report_csv,
    usage_report_rows,
    usage_summary,
)
from usage.selectors.budgets import (
    BudgetStatus,
    Quota,
    budget_statuses,
    budget_window,
    budgets_for_users,
    ratelimit_headers,
    usage_quota_get,
    usage_used,
)

__all__ = [
    "REPORT_COLUMNS",
    "BudgetStatus",
    "Quota",
    "budget_statuses",
    "budget_window",
    "budgets_for_users",
    "ratelimit_headers",
    "usage_analytics",
    "usage_quota_get",
    "usage_report_csv",
    "usage_report_rows",
    "usage_summary",
    "usage_used",
]
