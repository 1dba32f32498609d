"""One signed-in user's activity, for their profile's admin page."""

from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal

from django.utils import timezone

from admin_panel.selectors.periods import periods_for
from admin_panel.selectors.usage_source import usage_source
from interactions.models import AISession
from sessions_app.models import UserProfile, UserSession

RECENT = 10


@dataclass(frozen=True)
class UserActivity:
    """The user's recent user sessions and AI sessions (newest ``RECENT`` each), live
    session count, and usage this month (calls, unpriced calls, cost in USD)."""

    user_sessions: list[UserSession]
    live_user_sessions: int
    ai_sessions: list[AISession]
    ai_sessions_total: int
    usage_calls_month: int
    usage_unpriced_month: int
    usage_cost_month: Decimal


def user_activity(*, profile: UserProfile) -> UserActivity:
    """``profile``'s activity. Five queries, each on an index that leads with the user."""
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
    return UserActivity(
        user_sessions=user_sessions,
        live_user_sessions=live,
        ai_sessions=ai_sessions,
        ai_sessions_total=ai_total,
        usage_calls_month=usage["calls"] or 0,
        usage_unpriced_month=usage["unpriced_calls"] or 0,
        usage_cost_month=usage["cost_usd"] or Decimal(0),
    )
