"""Writes of customer sessions (seeds 000, 001; DESIGN.md "Customer sessions").

Every function either changes the database or raises; none reports success
without a committed row. Times are aware datetimes (UTC); the sliding window is
``settings.SESSION_TTL`` seconds (default 7 days) after the last activity.
"""

import logging
import re
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest, Least, Now
from django.utils import timezone
from ua_parser import parse as parse_user_agent

from common.client_ip import mask_ip
from common.db import INTEGER_MAX, insert_or_read, update_returning
from common.db_functions import DurationSeconds
from common.exceptions import ConflictError, NotFoundError
from common.merge_patch import json_merge_patch
from common.phones import phone_normalize
from sessions_app.models import CustomerSession, UserProfile, UserSession

logger = logging.getLogger(__name__)

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


def _token_filter(session_token: str | None):
    if not session_token or not _TOKEN_SHAPE.match(session_token):
        return None
    return CustomerSession.objects.filter(session_token=session_token)


def _touch_active(queryset, *, now: datetime) -> CustomerSession | None:
    """Slide the window of the live active session in ``queryset``; one UPDATE … RETURNING.

    A session whose window has run out is marked ``expired`` instead (DESIGN.md:
    restoring an expired session answers 404 and marks it expired).
    """
    active = queryset.filter(status=Status.ACTIVE)
    rows = update_returning(
        active.filter(expires_at__gt=now), last_activity=now, expires_at=now + _ttl()
    )
    if rows:
        return rows[0]
    active.filter(expires_at__lte=now).update(status=Status.EXPIRED)
    return None


def customer_session_start(
    *, phone: str, channel: str, customer_id: str, metadata: dict | None = None
) -> tuple[CustomerSession, bool]:
    """Start a customer session, or continue the phone's active one (omni-channel).

    Args:
        phone: any notation; stored as E.164.
        channel: ``whatsapp`` | ``kiosk`` | ``website`` | ``chat`` (of the new row).
        customer_id: text, kept as given (seed 001: never cast to int).
        metadata: JSON object stored on a new session; an existing one keeps its own.

    Returns: ``(session, created)``. ``created`` is False when the phone already
    had an active, unexpired session on any channel: that session is returned with
    its token and its window slides. An active session whose time ran out is
    marked ``expired`` and a new one is created.

    Race-safe: the partial unique index on ``phone WHERE status = 'active'``
    decides (``common.db.insert_or_read``); a losing INSERT continues the winner.

    Raises: django ValidationError for an invalid phone or metadata that is not
    a JSON object.
    """
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError({"metadata": "Must be a JSON object."})
    phone = phone_normalize(phone)
    phone_sessions = CustomerSession.objects.filter(phone=phone)
    with transaction.atomic():
        for _attempt in range(5):
            now = timezone.now()
            existing = _touch_active(phone_sessions, now=now)
            if existing is not None:
                return existing, False
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
            )
            if created:
                return session, True
            # Another request created the phone's active session first: loop to
            # continue that one (or replace it when its window has run out).
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
    by_token = _token_filter(session_token)
    if by_token is not None:
        session = _touch_active(by_token, now=now)
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
    a ``null`` value deletes the key. The row is locked (SELECT … FOR UPDATE) so
    two concurrent patches both land.

    Returns: the updated session.
    Raises: NotFoundError (404) for an unknown, logged-out or expired session
    (a run-out active one is marked ``expired``).
    """
    by_token = _token_filter(session_token)
    if by_token is None:
        raise _session_not_found()
    now = timezone.now()
    with transaction.atomic():
        session = by_token.select_for_update().filter(status=Status.ACTIVE).first()
        if session is not None and session.expires_at > now:
            session.metadata = json_merge_patch(session.metadata or {}, metadata_patch)
            session.last_activity = now
            session.expires_at = now + _ttl()
            session.save(update_fields=["metadata", "last_activity", "expires_at"])
            return session
    by_token.filter(status=Status.ACTIVE, expires_at__lte=now).update(status=Status.EXPIRED)
    raise _session_not_found()


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


def customer_sessions_set_status(*, session_ids, status: str) -> int:
    """Admin action: move the given *active* sessions to ``logged_out`` or ``expired``.

    One set-based UPDATE; sessions no longer active are left as they are.
    Returns: the number of sessions changed.
    """
    if status not in (Status.LOGGED_OUT, Status.EXPIRED):
        raise ValueError(f"cannot set customer sessions to {status!r}")
    return CustomerSession.objects.filter(pk__in=session_ids, status=Status.ACTIVE).update(
        status=status
    )


# =============================================================================
# Signed-in users: profiles (seed 003 `user_profiles`, issue 4)
# =============================================================================

_SOURCE_SHAPE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,49}$")


def _claim_email(claims: dict) -> str | None:
    email = claims.get("email")
    if not isinstance(email, str) or not email.strip() or len(email) > 320:
        return None
    return email.strip().lower()


def _claim_phone(claims: dict) -> str | None:
    """The token's ``phone`` in E.164, or None. Supabase puts it without the ``+``
    (``919876543210``) and sends ``""`` for users without a phone."""
    phone = claims.get("phone")
    if not isinstance(phone, str) or not phone.strip():
        return None
    phone = phone.strip()
    try:
        return phone_normalize(phone if phone.startswith("+") else f"+{phone}")
    except ValidationError:
        logger.warning("Token phone claim is not a valid number; not stored.")
        return None


def registration_source_clean(raw: str | None) -> str:
    """A client-supplied registration source as stored: lower case, 1-50 characters
    of ``a-z 0-9 . _ -`` (e.g. ``web``, ``ios-external``); anything else → ``""``."""
    text = (raw or "").strip().lower()
    return text if _SOURCE_SHAPE.match(text) else ""


def user_profile_for_claims(*, claims: dict, registration_source: str = "") -> UserProfile:
    """The caller's profile for verified token ``claims``, created on first use.

    Args:
        claims: verified Supabase claims; ``sub`` is the profile id, ``email`` and
            ``phone`` (stored lower case / E.164) are copied when present.
        registration_source: the client's ``X-Client-Platform`` header; kept only
            when this request creates the profile (see registration_source_clean).

    Returns: the profile with ``token_claims`` set (``is_admin`` reads its
    ``app_metadata``).

    Raises: IntegrityError when the profile cannot be created because ``sub`` is
    not in ``auth.users`` (Supabase: the user was deleted; their access token
    stays valid until ``exp``).

    Cost: one SELECT per request. A new user adds ``INSERT … ON CONFLICT DO
    NOTHING`` and a re-read, so concurrent first requests end on one row. An
    UPDATE happens only when the email or phone changed or ``last_seen_at`` is
    older than ``USER_LAST_SEEN_RESOLUTION_SECONDS`` (default 60).
    """
    user_id = uuid.UUID(str(claims["sub"]))
    email, phone = _claim_email(claims), _claim_phone(claims)
    profile = UserProfile.objects.filter(pk=user_id).first()
    if profile is None:
        # A savepoint: on Supabase the insert fails the auth.users foreign key when
        # the user was deleted while their token is still valid (IntegrityError).
        with transaction.atomic():
            profile, _created = insert_or_read(
                UserProfile(
                    id=user_id,
                    email=email,
                    phone=phone,
                    registration_source=registration_source_clean(registration_source),
                ),
                conflict="id",
            )
    else:
        changes = {}
        if email and email != profile.email:
            changes["email"] = email
        if phone and phone != profile.phone:
            changes["phone"] = phone
        now = timezone.now()
        resolution = timedelta(seconds=settings.USER_LAST_SEEN_RESOLUTION_SECONDS)
        if profile.last_seen_at < now - resolution:
            changes["last_seen_at"] = now
        if changes:
            UserProfile.objects.filter(pk=user_id).update(**changes)
            for name, value in changes.items():
                setattr(profile, name, value)
    profile.token_claims = claims
    return profile


def user_profiles_set_role(*, user_ids, role: str) -> int:
    """Give the profiles ``user_ids`` (ids or a queryset of ids) the role ``role``
    (``user`` | ``admin``). One set-based UPDATE.

    Returns: the number of profiles whose role changed.
    Raises: django ValidationError ``{"role": …}`` for another role.
    """
    if role not in UserProfile.Role.values:
        roles = ", ".join(UserProfile.Role.values)
        raise ValidationError({"role": f"Role must be one of {roles}."})
    return UserProfile.objects.filter(pk__in=user_ids).exclude(role=role).update(role=role)


# =============================================================================
# Signed-in users: platform sessions (seed 004 `user_sessions`, issue 4)
# =============================================================================

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

    def version(part) -> str | None:
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


def _not_live_error(*, user_id, session_id: str, action: str) -> Exception:
    """The error explaining why no live session ``session_id`` of ``user_id`` matched."""
    status = (
        UserSession.objects.filter(session_id=session_id, user_id=user_id)
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        return NotFoundError("You have no session with this session_id.", code="session_not_found")
    what = "timed out" if status == UserSession.Status.TIMEOUT else "ended"
    return ConflictError(
        f"The session has {what}; it cannot {action}. Start a new session.", code="session_ended"
    )


def user_session_heartbeat(*, user_id, session_id: str, activity_delta: int = 1) -> UserSession:
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
        session_id=session_id, user_id=user_id, status__in=LIVE_STATUSES
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
    raise _not_live_error(user_id=user_id, session_id=session_id, action="take heartbeats")


def user_session_end(*, user_id, session_id: str, end_reason: str) -> UserSession:
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
    mine = UserSession.objects.filter(session_id=session_id, user_id=user_id)
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


def user_sessions_end_selected(*, session_pks, end_reason: str = "manual") -> int:
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


def _silent_since(cutoff):
    """Sessions whose last heartbeat (or, without one, last activity) is before ``cutoff``."""
    return Q(last_heartbeat_at__lt=cutoff) | Q(
        last_heartbeat_at__isnull=True, last_activity_at__lt=cutoff
    )


def user_sessions_end_inactive(*, timeout_minutes: int, dry_run: bool = False) -> int:
    """Time out live (active or idle) sessions without a heartbeat for ``timeout_minutes``.

    The seed's ``end_inactive_sessions()``, done right: idle sessions time out
    too (the seed only looked at ``active`` ones, so an idle session never
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
    *, days: int, batch_size: int = 1000, dry_run: bool = False, on_batch=None
) -> int:
    """Delete sessions that ended more than ``days`` days ago (the seed's
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
