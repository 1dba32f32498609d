"""Reads of customer sessions."""

from django.db.models import QuerySet

from sessions_app.models import CustomerSession


def customer_session_list(*, status: str | None = None) -> QuerySet[CustomerSession]:
    """Customer sessions, most recently active first, optionally of one status."""
    qs = CustomerSession.objects.all()
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-last_activity")
