"""Writes of customer sessions (the ``sessions`` table).

Every function either changes the database or raises; none reports success
without a committed row. Times are aware datetimes (UTC); the sliding window is
``settings.SESSION_TTL`` seconds (default 7 days) after the last activity.
"""

import re
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import JSONField, QuerySet
from django.utils import timezone

from common.db import fetch_instances, insert_or_read, returning_columns, update_returning
from common.db_functions import JSONMergePatch
from common.exceptions import NotFoundError
from common.phones import phone_normalize
from sessions_app.models import CustomerSession

Status = CustomerSession.Status

# Tokens we issue are 43 URL-safe characters; anything else cannot match a row,
# so it is answered "not found" without a query.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


def _ttl() -> timedelta:
    return timedelta(seconds=settings.SESSION_TTL)


def _session_not_found() -> NotFoundError:
    return NotFoundError(
        "No active session for this token or phone (unknown, logged out or expired).",
        code="session_not_found",
    )


def _token_shaped(session_token: str | None) -> bool:
    return bool(session_token) and _TOKEN_SHAPE.match(session_token or "") is not None


@cache
def _touch_by_token_sql(vendor: str, *, patch: bool) -> str:
    """The restore's (and, with ``patch``, the update's) one statement, written once:
    the ORM would build and compile it again on every request, which costs more
    CPU than the database round trip takes."""
    merge = JSONMergePatch.function_for(vendor)
    set_metadata = f', "metadata" = {merge}("metadata", %s)' if patch else ""
    columns = returning_columns(CustomerSession)
    # Fixed SQL: the names and the function are ours, every value is a parameter.
    return (
        f'UPDATE "sessions" SET "last_activity" = %s, "expires_at" = %s{set_metadata} '  # noqa: S608
        f'WHERE "session_token" = %s AND "status" = \'active\' AND "expires_at" > %s '
        f"RETURNING {columns}"
    )


def _touch_by_token(
    session_token: str, *, now: datetime, metadata_patch: dict[str, Any] | None = None
) -> CustomerSession | None:
    """``_touch_active`` for one token, in the statement written once above; a
    metadata patch (RFC 7396) is merged by the database in the same UPDATE."""
    ops = connection.ops
    params: list[Any] = [
        ops.adapt_datetimefield_value(now),
        ops.adapt_datetimefield_value(now + _ttl()),
    ]
    if metadata_patch is not None:
        params.append(JSONField().get_db_prep_value(metadata_patch, connection))
    params += [session_token, ops.adapt_datetimefield_value(now)]
    sql = _touch_by_token_sql(connection.vendor, patch=metadata_patch is not None)
    rows = fetch_instances(CustomerSession, sql, params, prepared=True)
    if rows:
        return rows[0]
    CustomerSession.objects.filter(
        session_token=session_token, status=Status.ACTIVE, expires_at__lte=now
    ).update(status=Status.EXPIRED)
    return None


def _token_filter(session_token: str | None) -> QuerySet[CustomerSession] | None:
    if not session_token or not _TOKEN_SHAPE.match(session_token):
        return None
    return CustomerSession.objects.filter(session_token=session_token)


def _touch_active(queryset: QuerySet[CustomerSession], *, now: datetime) -> CustomerSession | None:
    """Slide the window of the live active session in ``queryset``; one UPDATE … RETURNING.

    A session whose window has run out is marked ``expired`` instead (the customer-session
    contract: restoring an expired session answers 404 and marks it expired).
    """
    active = queryset.filter(status=Status.ACTIVE)
    rows = update_returning(
        active.filter(expires_at__gt=now), last_activity=now, expires_at=now + _ttl()
    )
    if rows:
        return rows[0]
    active.filter(expires_at__lte=now).update(status=Status.EXPIRED)
    return None


# A start for a phone with a live active session continues it: its window slides
# to the new row's; its channel and metadata stay. One whose window has run out is
# left alone (and comes back read, to be marked expired).
_START_CONTINUES = (
    '"last_activity" = EXCLUDED."last_activity", "expires_at" = EXCLUDED."expires_at" '
    'WHERE "sessions"."expires_at" > EXCLUDED."last_activity"'
)


def customer_session_start(
    *, phone: str, channel: str, customer_id: str, metadata: dict | None = None
) -> tuple[CustomerSession, bool]:
    """Start a customer session, or continue the phone's active one (omni-channel).

    Args:
        phone: any notation; stored as E.164.
        channel: ``whatsapp`` | ``kiosk`` | ``website`` | ``chat`` (of the new row).
        customer_id: text, kept as given (an id, never cast to a number).
        metadata: JSON object stored on a new session; an existing one keeps its own.

    Returns: ``(session, created)``. ``created`` is False when the phone already
    had an active, unexpired session on any channel: that session is returned with
    its token and its window slides. An active session whose time ran out is
    marked ``expired`` and a new one is created.

    One statement (``common.db.insert_or_read`` with ``DO UPDATE``), outside any
    transaction: the partial unique index on ``phone WHERE status = 'active'``
    decides, so concurrent starts for one phone end on the same row.

    Raises: django ValidationError for an invalid phone or metadata that is not
    a JSON object.
    """
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError({"metadata": "Must be a JSON object."})
    phone = phone_normalize(phone)
    for _attempt in range(5):
        now = timezone.now()
        session, created = insert_or_read(
            CustomerSession(
                customer_id=customer_id,
                phone=phone,
                channel=channel,
                status=Status.ACTIVE,
                created_at=now,
                last_activity=now,
                expires_at=now + _ttl(),
                metadata=metadata or {},
            ),
            conflict="sessions_one_active_per_phone",
            on_conflict_update=_START_CONTINUES,
        )
        if created or session.expires_at > now:
            return session, created
        # The phone's active session has run out: mark it expired, then start anew.
        CustomerSession.objects.filter(pk=session.pk, status=Status.ACTIVE).update(
            status=Status.EXPIRED
        )
    # The phone stays out of the message (it is personal data).
    raise RuntimeError("could not start or continue a customer session after 5 attempts")


def customer_session_restore(
    *, session_token: str | None = None, phone: str | None = None
) -> CustomerSession:
    """Restore an active session by token, then by phone, sliding its window.

    The token is tried first; the phone (any notation) only when the token is
    absent or does not lead to a live session. Each try is one
    ``UPDATE … RETURNING`` statement that sets ``last_activity = now`` and
    ``expires_at = now + SESSION_TTL``.

    Returns: the restored session.
    Raises: NotFoundError (404) when neither finds an active, unexpired session;
    django ValidationError for an unparseable phone.
    """
    now = timezone.now()
    if session_token and _token_shaped(session_token):
        session = _touch_by_token(session_token, now=now)
        if session is not None:
            return session
    if phone:
        session = _touch_active(
            CustomerSession.objects.filter(phone=phone_normalize(phone)), now=now
        )
        if session is not None:
            return session
    raise _session_not_found()


def customer_session_update(*, session_token: str, metadata_patch: dict) -> CustomerSession:
    """Merge ``metadata_patch`` into the session's metadata and slide its window.

    The patch is a JSON Merge Patch (RFC 7396): keys are merged recursively and
    a ``null`` value deletes the key. One ``UPDATE … RETURNING``: the database
    merges the patch (``common.db_functions.JSONMergePatch``) into the row as it
    is once locked, so two concurrent patches both land.

    Returns: the updated session.
    Raises: NotFoundError (404) for an unknown, logged-out or expired session
    (a run-out active one is marked ``expired``).
    """
    if not _token_shaped(session_token):
        raise _session_not_found()
    session = _touch_by_token(session_token, now=timezone.now(), metadata_patch=metadata_patch)
    if session is None:
        raise _session_not_found()
    return session


def customer_session_end(*, session_token: str) -> CustomerSession:
    """Log the session out (status ``logged_out``). Ending it again is not an error.

    Returns: the session as it now is (already ``logged_out`` or ``expired`` ones unchanged).
    Raises: NotFoundError (404) for a token that matches no session.
    """
    by_token = _token_filter(session_token)
    if by_token is None:
        raise _session_not_found()
    rows = update_returning(
        by_token.filter(status=Status.ACTIVE),
        status=Status.LOGGED_OUT,
        last_activity=timezone.now(),
    )
    if rows:
        return rows[0]
    session = by_token.first()
    if session is None:
        raise _session_not_found()
    return session


def customer_sessions_expire(*, now: datetime | None = None) -> int:
    """Mark every active session whose ``expires_at`` has passed as ``expired``.

    One set-based UPDATE. Returns: the number of sessions marked.
    """
    now = now or timezone.now()
    return CustomerSession.objects.filter(status=Status.ACTIVE, expires_at__lte=now).update(
        status=Status.EXPIRED
    )


def customer_sessions_set_status(
    *, session_ids: Iterable[uuid.UUID | str] | QuerySet[Any, Any], status: str
) -> int:
    """Admin action: move the given *active* sessions to ``logged_out`` or ``expired``.

    One set-based UPDATE; sessions no longer active are left as they are.
    Returns: the number of sessions changed.
    """
    if status not in (Status.LOGGED_OUT, Status.EXPIRED):
        raise ValueError(f"cannot set customer sessions to {status!r}")
    return CustomerSession.objects.filter(pk__in=session_ids, status=Status.ACTIVE).update(
        status=status
    )
