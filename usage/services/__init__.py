"""Writes of usage: ingest (one call or a batch), the daily rollup, budgets and alerts.

Callers outside this app (the interactions app, the documents app) import from
here: ``usage_normalize``, ``usage_log_build``, ``usage_log_insert``,
``usage_log_create``, ``usage_quota_check``.
"""

from usage.services.budgets import (
    budget_create,
    budget_delete,
    budget_update,
    usage_budgets_evaluate,
    usage_quota_check,
)
from usage.services.ingest import (
    MAX_EVENTS,
    MAX_TOKENS,
    SHAPE_CHAT,
    SHAPE_RESPONSES,
    EventsIngested,
    TokenUsage,
    usage_events_ingest,
    usage_log_build,
    usage_log_create,
    usage_log_insert,
    usage_log_statement_parts,
    usage_logs_insert,
    usage_normalize,
    usage_written_done,
    usage_written_statement_parts,
)
from usage.services.rollups import (
    usage_coarse_rollups_rebuild,
    usage_rollups_add,
    usage_rollups_rebuild,
)

__all__ = [
    "MAX_EVENTS",
    "MAX_TOKENS",
    "SHAPE_CHAT",
    "SHAPE_RESPONSES",
    "EventsIngested",
    "TokenUsage",
    "budget_create",
    "budget_delete",
    "budget_update",
    "usage_budgets_evaluate",
    "usage_coarse_rollups_rebuild",
    "usage_events_ingest",
    "usage_log_build",
    "usage_log_create",
    "usage_log_insert",
    "usage_log_statement_parts",
    "usage_logs_insert",
    "usage_normalize",
    "usage_quota_check",
    "usage_rollups_add",
    "usage_rollups_rebuild",
    "usage_written_done",
    "usage_written_statement_parts",
]
