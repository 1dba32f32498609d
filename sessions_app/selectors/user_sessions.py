"""Reads of signed-in users' platform sessions (the ``user_sessions`` table)."""

import uuid

from django.db.models import Avg, Count, F, Max, Min, QuerySet
from django.db.models.functions import Now

from common.db_functions import DurationSeconds
from sessions_app.models import UserSession


def user_session_list(
    *, user_id: uuid.UUID | str, platform: str | None = None, status: str | None = None
) -> QuerySet[UserSession]:
    """The user's own sessions, newest start first (ties: newest id), optionally of
    one platform and/or status. Served by ``idx_user_sessions_user_id``
    (user_id, started_at DESC)."""
    qs = UserSession.objects.filter(user_id=uuid.UUID(str(user_id)))
    if platform:
        qs = qs.filter(platform=platform)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-started_at", "-id")


def user_sessions_active_summary() -> list[dict]:
    """The original SQL's ``active_sessions_summary`` view, as one aggregate query.

    Returns: one dict per platform with active sessions, ordered by platform::

        {"platform": "web", "active_count": 3,
         "avg_session_minutes": 12.5,   # mean of now - started_at, minutes
         "oldest_session": datetime,    # MIN(started_at)
         "latest_activity": datetime}   # MAX(last_activity_at)

    Works on PostgreSQL and SQLite (the duration is ``DurationSeconds``).
    """
    rows = (
        UserSession.objects.filter(status=UserSession.Status.ACTIVE)
        .values("platform")
        .annotate(
            active_count=Count("id"),
            avg_seconds=Avg(DurationSeconds(F("started_at"), Now())),
            oldest_session=Min("started_at"),
            latest_activity=Max("last_activity_at"),
        )
        .order_by("platform")
    )
    return [
        {
            "platform": row["platform"],
            "active_count": row["active_count"],
            "avg_session_minutes": round(float(row["avg_seconds"] or 0) / 60, 2),
            "oldest_session": row["oldest_session"],
            "latest_activity": row["latest_activity"],
        }
        for row in rows
    ]
