"""Reads of AI sessions and their history."""

import uuid
from datetime import datetime
from typing import Any

from django.db.models import (
    DecimalField,
    Field,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce

from common.exceptions import NotFoundError
from interactions.citations.selectors import citations_for_reader
from interactions.models import AIInteraction, AISession
from usage.models import UsageLog


def _usage_total(column: str, output_field: "Field[Any, Any]") -> Subquery:
    per_session = (
        UsageLog.objects.filter(ai_session=OuterRef("pk"))
        .order_by()
        .values("ai_session")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Subquery(per_session, output_field=output_field)


def ai_session_list(
    *,
    owner_id: str | None = None,
    user_id: str | None = None,
    channel: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    active_after: datetime | None = None,
    active_before: datetime | None = None,
) -> QuerySet[AISession]:
    """AI sessions, newest activity (``updated_at``) first, with their totals.

    Each row carries ``interaction_count`` and ``last_interaction_at`` (columns kept
    in step by ``ai_interaction_log``) and two annotations summed over the
    session's ``usage_logs``: ``total_tokens`` (int, 0 when none) and
    ``total_cost_usd`` (USD Decimal, known prices only; None when no priced row).
    The sums are correlated subqueries evaluated for the rows of a page only, so a
    page is ONE query whatever its size.

    Args:
        owner_id: only this user's sessions (a signed-in caller); None = all.
        user_id, channel: exact match.
        created_after, created_before: bounds on ``created_at`` (inclusive).
        active_after, active_before: bounds on ``updated_at``, the last activity
            (inclusive).
    """
    qs = AISession.objects.annotate(
        total_tokens=Coalesce(_usage_total("total_tokens", IntegerField()), 0),
        total_cost_usd=_usage_total("cost_usd", DecimalField(max_digits=20, decimal_places=12)),
    )
    if owner_id is not None:
        qs = qs.filter(user_id=owner_id)
    bounds = {
        "user_id": user_id,
        "channel": channel,
        "created_at__gte": created_after,
        "created_at__lte": created_before,
        "updated_at__gte": active_after,
        "updated_at__lte": active_before,
    }
    qs = qs.filter(**{lookup: value for lookup, value in bounds.items() if value is not None})
    return qs.order_by("-updated_at")


def ai_session_get(*, session_id: uuid.UUID | str, owner_id: str | None = None) -> AISession:
    """One AI session; with ``owner_id``, only when that user owns it.

    Raises: NotFoundError (404, ``ai_session_not_found``) when it does not exist or
    belongs to someone else (a stranger cannot learn that it exists).
    """
    qs = AISession.objects.filter(pk=session_id)
    if owner_id is not None:
        qs = qs.filter(user_id=owner_id)
    session = qs.first()
    if session is None:
        raise NotFoundError("No such AI session.", code="ai_session_not_found")
    return session


def ai_interaction_list(
    *, session_id: uuid.UUID | str, owner_id: str | None = None, reader_sees_all: bool = True
) -> QuerySet[AIInteraction]:
    """The session's interactions, oldest first (index ``(session_id, created_at)``),
    each with ``citation_list``: its citations in reading order, prefetched for
    the whole page in one query (``citations_for_reader``).

    Args:
        session_id: the AI session.
        owner_id: the signed-in reader (only their own session is found); None
            for an API-key caller.
        reader_sees_all: False for a signed-in reader who is not an admin: a
            citation then shows its document only when that reader may read it.

    Raises: NotFoundError (404) as ``ai_session_get``.
    """
    session = ai_session_get(session_id=session_id, owner_id=owner_id)
    citations = citations_for_reader(reader_id=owner_id, sees_all=reader_sees_all)
    return (
        AIInteraction.objects.filter(session=session)
        .order_by("created_at")
        .prefetch_related(Prefetch("citations", queryset=citations, to_attr="citation_list"))
    )
