"""Writes of signed-in users' platform sessions (the ``user_sessions`` table):
start, heartbeat, end, and the set-based maintenance the commands run."""

import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest, Least, Now
from django.utils import timezone
from ua_parser import parse as parse_user_agent

from common.client_ip import mask_ip
from common.db import INTEGER_MAX, insert_or_read, update_returning
from common.db_functions import DurationSeconds
from common.exceptions import ConflictError, NotFoundError
from sessions_app.models import UserProfile, UserSession

UserStatus = UserSession.Status
LIVE_STATUSES = [UserStatus.ACTIVE, UserStatus.IDLE]
USER_AGENT_MAX_LENGTH = 512
HEARTBEAT_MAX_DELTA = 10_000
# The maintenance commands look back at most 100 years: far beyond any real
# timeout or retention, and inside what timedelta and the databases' timestamps
# can hold (99999999999999 minutes or 1000000 days overflowed).
LOOKBACK_MAX_DAYS = 100 * 365
LOOKBACK_MAX_MINUTES = LOOKBACK_MAX_DAYS * 24 * 60


def device_info_from_user_agent(user_agent: str | None) -> dict:
    """``device_info`` parsed from a User-Agent with ua-parser (uap-core rules).

    Returns: ``{"source": "user-agent", "browser": {"family", "version"},
    "os": {"family", "version"}, "device": {"family", "brand", "model"}}`` with
    the parts ua-parser recognised; ``{}`` for an empty user agent.
    """
    if not user_agent:
        return {}
    result = parse_user_agent(user_agent[:USER_AGENT_MAX_LENGTH])

    def version(part: Any) -> str | None:
        numbers = [n for n in (part.major, part.minor, part.patch) if n]
        return ".".join(numbers) or None

    info: dict = {"source": "user-agent"}
    if result.user_agent is not None:
        browser = result.user_agent
        info["browser"] = {"family": browser.family, "version": version(browser)}
    if result.os is not None:
        info["os"] = {"family": result.os.family, "version": version(result.os)}
    if result.device is not None:
        info["device"] = {
            "family": result.device.family,
            "brand": result.device.brand,
            "model": result.device.model,
        }
    return info


def user_session_start(
    *,
    user: UserProfile,
    session_id: str,
    platform: str,
    device_info: dict | None = None,
    location_info: dict | None = None,
    user_agent: str | None = None,
    ip_address: str | None = None,
) -> tuple[UserSession, bool]:
    """Record the start of ``user``'s session ``session_id`` (client-generated).

    Args:
        user: the signed-in caller's profile.
        platform: ``web`` | ``ios-external`` | ``ios-internal`` | ``ios-widget`` |
            ``macos-internal``.
        device_info: the client's own description (apps send platform, app version
            and model); when absent or empty, parsed from ``user_agent``.
        location_info: JSON object (country, timezone, …), default ``{}``.
        user_agent: the request's User-Agent, stored up to 512 characters.
        ip_address: the client address; stored masked (IPv4 /24, IPv6 /48).

    Returns: ``(session, created)``; ``created`` False when this user already
    started ``session_id`` (the existing row, unchanged).

    Race-safe: ``INSERT … ON CONFLICT DO NOTHING`` on the unique ``session_id``,
    then a re-read decides. The first session also fills the profile's empty
    ``registration_source`` with its platform.

    Raises: ConflictError (409) when ``session_id`` belongs to another user;
    django ValidationError for an unknown platform.
    """
    if platform not in UserSession.Platform.values:
        raise ValidationError({"platform": f"Unknown platform {platform!r}."})
    user_agent = (user_agent or "")[:USER_AGENT_MAX_LENGTH] or None
    candidate = UserSession(
        user_id=user.pk,
        session_id=session_id,
        platform=platform,
        device_info=device_info or device_info_from_user_agent(user_agent),
        location_info=location_info or {},
        user_agent=user_agent,
        ip_address=mask_ip(ip_address),
        status=UserStatus.ACTIVE,
    )
    with transaction.atomic():
        session, created = insert_or_read(candidate, conflict="user_sessions_session_id_key")
        if session.user_id != user.pk:
            raise ConflictError(
                "This session_id belongs to another user; generate a new one.",
                code="session_id_taken",
            )
        if created and not user.registration_source:
            UserProfile.objects.filter(pk=user.pk, registration_source="").update(
                registration_source=platform
            )
    return session, created


def _not_live_error(*, user_id: uuid.UUID | str, session_id: str, action: str) -> Exception:
    """The error explaining why no live session ``session_id`` of ``user_id`` matched."""
    status = (
        UserSession.objects.filter(session_id=session_id, user_id=uuid.UUID(str(user_id)))
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        return NotFoundError("You have no session with this session_id.", code="session_not_found")
    what = "timed out" if status == UserSession.Status.TIMEOUT else "ended"
    return ConflictError(
        f"The session has {what}; it cannot {action}. Start a new session.", code="session_ended"
    )


def user_session_heartbeat(
    *, user_id: uuid.UUID | str, session_id: str, activity_delta: int = 1
) -> UserSession:
    """Record a heartbeat of the caller's live session.

    Sets ``last_heartbeat_at`` and ``last_activity_at`` to now, adds
    ``activity_delta`` (0-10000, default 1) to ``activity_count`` and turns an
    ``idle`` session ``active`` again, in one ``UPDATE … RETURNING``, so
    concurrent heartbeats all count (the database adds, not the application).

    Returns: the session after the update.
    Raises: NotFoundError (404) when the caller has no session ``session_id``
    (also when it is someone else's); ConflictError (409) when it has ended or
    timed out; django ValidationError for a delta out of range.
    """
    if not 0 <= activity_delta <= HEARTBEAT_MAX_DELTA:
        raise ValidationError({"activity_count": f"Must be 0 to {HEARTBEAT_MAX_DELTA}."})
    now = Now()
    live = UserSession.objects.filter(
        session_id=session_id, user_id=uuid.UUID(str(user_id)), status__in=LIVE_STATUSES
    )
    rows = update_returning(
        live,
        last_heartbeat_at=now,
        last_activity_at=now,
        # Capped below INTEGER's maximum: a huge count never turns into a 500.
        activity_count=Least(Coalesce(F("activity_count"), 0), Value(INTEGER_MAX - activity_delta))
        + activity_delta,
        status=UserStatus.ACTIVE,
        updated_at=now,
    )
    if rows:
        return rows[0]
    raise _not_live_error(
        user_id=uuid.UUID(str(user_id)), session_id=session_id, action="take heartbeats"
    )


def user_session_end(*, user_id: uuid.UUID | str, session_id: str, end_reason: str) -> UserSession:
    """End the caller's session: ``status = ended``, ``end_reason``, ``ended_at`` =
    now and ``total_duration_seconds`` = now - ``started_at`` (computed by the
    database in the same ``UPDATE … RETURNING``).

    Ending again is not an error: a session that already ended or timed out is
    returned unchanged (its first end reason stays).

    Args:
        end_reason: ``logout`` | ``manual`` | ``app_close`` | ``crash``.

    Returns: the session.
    Raises: NotFoundError (404) when the caller has no session ``session_id``;
    django ValidationError for another end reason.
    """
    allowed = [r for r in UserSession.EndReason.values if r != UserSession.EndReason.TIMEOUT]
    if end_reason not in allowed:
        raise ValidationError({"end_reason": f"Must be one of {', '.join(allowed)}."})
    mine = UserSession.objects.filter(session_id=session_id, user_id=uuid.UUID(str(user_id)))
    rows = update_returning(
        mine.filter(status__in=LIVE_STATUSES),
        status=UserStatus.ENDED,
        end_reason=end_reason,
        ended_at=Now(),
        total_duration_seconds=DurationSeconds(F("started_at"), Now()),
        updated_at=Now(),
    )
    if rows:
        return rows[0]
    session = mine.first()
    if session is None:
        raise NotFoundError("You have no session with this session_id.", code="session_not_found")
    return session


def user_sessions_end_selected(
    *, session_pks: Iterable[uuid.UUID] | QuerySet[Any, Any], end_reason: str = "manual"
) -> int:
    """Admin action: end the live sessions among ``session_pks`` (primary keys or a
    queryset of them) like ``user_session_end`` does. One set-based UPDATE.

    Returns: the number of sessions ended (already ended ones are left alone).
    """
    return UserSession.objects.filter(pk__in=session_pks, status__in=LIVE_STATUSES).update(
        status=UserStatus.ENDED,
        end_reason=end_reason,
        ended_at=Now(),
        total_duration_seconds=DurationSeconds(F("started_at"), Now()),
        updated_at=Now(),
    )


def _silent_since(cutoff: Any) -> Q:
    """Sessions whose last heartbeat (or, without one, last activity) is before ``cutoff``."""
    return Q(last_heartbeat_at__lt=cutoff) | Q(
        last_heartbeat_at__isnull=True, last_activity_at__lt=cutoff
    )


def user_sessions_end_inactive(*, timeout_minutes: int, dry_run: bool = False) -> int:
    """Time out live (active or idle) sessions without a heartbeat for ``timeout_minutes``.

    The original SQL's ``end_inactive_sessions()``, done right: idle sessions time out
    too (the original only looked at ``active`` ones, so an idle session never
    ended), and ``ended_at`` is the session's last sign of life (the later of
    last heartbeat and last activity) rather than the time this job ran, so
    ``total_duration_seconds`` does not count the timeout itself. Sets
    ``status = timeout``, ``end_reason = timeout``. One set-based UPDATE; times
    compared on the database clock.

    Returns: how many sessions were timed out (with ``dry_run``: would be).
    """
    if timeout_minutes < 1:
        raise ValidationError({"timeout_minutes": "Must be at least 1."})
    stale = UserSession.objects.filter(status__in=LIVE_STATUSES).filter(
        _silent_since(Now() - timedelta(minutes=timeout_minutes))
    )
    if dry_run:
        return stale.count()
    last_sign_of_life = Greatest(
        Coalesce(F("last_heartbeat_at"), F("last_activity_at")), F("last_activity_at")
    )
    return stale.update(
        status=UserStatus.TIMEOUT,
        end_reason=UserSession.EndReason.TIMEOUT,
        ended_at=last_sign_of_life,
        total_duration_seconds=DurationSeconds(F("started_at"), last_sign_of_life),
        updated_at=Now(),
    )


def user_sessions_mark_idle(*, idle_minutes: int, dry_run: bool = False) -> int:
    """Mark ``active`` sessions without a heartbeat for ``idle_minutes`` as ``idle``.

    A heartbeat makes them active again. One set-based UPDATE.
    Returns: how many sessions were (with ``dry_run``: would be) marked.
    """
    if idle_minutes < 1:
        raise ValidationError({"idle_minutes": "Must be at least 1."})
    quiet = UserSession.objects.filter(status=UserStatus.ACTIVE).filter(
        _silent_since(Now() - timedelta(minutes=idle_minutes))
    )
    if dry_run:
        return quiet.count()
    return quiet.update(status=UserStatus.IDLE, updated_at=Now())


def user_sessions_delete_old(
    *,
    days: int,
    batch_size: int = 1000,
    dry_run: bool = False,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Delete sessions that ended more than ``days`` days ago (the original SQL's
    ``cleanup_old_sessions``; its ``INTERVAL '%d days' % days_old`` never ran).

    Deletes by primary key in batches of ``batch_size``, each batch its own short
    transaction, so a large table is never locked for long and progress is kept
    if the job is stopped. ``on_batch(count)`` is called after each batch.

    Returns: how many sessions were (with ``dry_run``: would be) deleted.
    """
    if days < 1:
        raise ValidationError({"days": "Must be at least 1."})
    if batch_size < 1:
        raise ValidationError({"batch_size": "Must be at least 1."})
    cutoff = timezone.now() - timedelta(days=days)  # fixed, so the loop ends
    old = UserSession.objects.filter(ended_at__isnull=False, ended_at__lt=cutoff)
    if dry_run:
        return old.count()
    total = 0
    while True:
        with transaction.atomic():
            pks = list(old.order_by("ended_at").values_list("pk", flat=True)[:batch_size])
            if not pks:
                break
            deleted, _ = UserSession.objects.filter(pk__in=pks).delete()
        total += deleted
        if on_batch is not None:
            on_batch(deleted)
        if len(pks) < batch_size:
            break
    return total
