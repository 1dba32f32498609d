"""One signed-in user's activity, for their profile's admin page."""

from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone

from admin_panel.selectors.periods import periods_for
from admin_panel.selectors.usage_source import usage_source
from documents.models import Document, DocumentAccess
from interactions.models import AISession
from sessions_app.models import UserProfile, UserSession
from usage.selectors import BudgetStatus, usage_quota_get

RECENT = 10


@dataclass(frozen=True)
class UserActivity:
    """The user's recent user sessions and AI sessions (newest ``RECENT`` each), live
    session count, usage this month (calls, unpriced calls, cost in USD), the
    documents they own (newest ``RECENT``; totals without deleted ones) and the
    grants they hold on others' documents, and each budget that applies to them
    with its current window's use (``usage.selectors.usage_quota_get``)."""

    user_sessions: list[UserSession]
    live_user_sessions: int
    ai_sessions: list[AISession]
    ai_sessions_total: int
    usage_calls_month: int
    usage_unpriced_month: int
    usage_cost_month: Decimal
    documents: list[Document]
    documents_total: int
    documents_ready: int
    grants: list[DocumentAccess]
    grants_total: int
    budgets: list[BudgetStatus]


def user_activity(*, profile: UserProfile) -> UserActivity:
    """``profile``'s activity. Nine queries, each on an index that leads with the user,
    plus the quota's: one or two for the budgets and one per budget (rollup)."""
    month = periods_for(timezone.now().astimezone(UTC).date()).month
    user_sessions = list(UserSession.objects.filter(user=profile).order_by("-started_at")[:RECENT])
    live = UserSession.objects.filter(
        user=profile, status__in=[UserSession.Status.ACTIVE, UserSession.Status.IDLE]
    ).count()
    ai_rows = AISession.objects.filter(user_id=str(profile.id))
    ai_sessions = list(ai_rows.order_by("-updated_at")[:RECENT])
    ai_total = ai_rows.count()
    source = usage_source(first=month.first, last=month.last, user_id=str(profile.id))
    usage = source.rows.aggregate(**source.measures)
    owned = Document.objects.filter(owner=profile)
    documents = list(owned.order_by("-created_at")[:RECENT])
    document_totals = owned.exclude(status=Document.Status.DELETED).aggregate(
        total=Count("id"), ready=Count("id", filter=Q(status=Document.Status.READY))
    )
    held = DocumentAccess.objects.filter(user=profile)
    grants = list(held.select_related("document").order_by("-granted_at")[:RECENT])
    grants_total = held.count()
    quota = usage_quota_get(user_id=str(profile.id))
    return UserActivity(
        user_sessions=user_sessions,
        live_user_sessions=live,
        ai_sessions=ai_sessions,
        ai_sessions_total=ai_total,
        usage_calls_month=usage["calls"] or 0,
        usage_unpriced_month=usage["unpriced_calls"] or 0,
        usage_cost_month=usage["cost_usd"] or Decimal(0),
        documents=documents,
        documents_total=document_totals["total"],
        documents_ready=document_totals["ready"],
        grants=grants,
        grants_total=grants_total,
        budgets=quota.budgets,
    )
