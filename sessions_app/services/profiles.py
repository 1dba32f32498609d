"""Writes of signed-in users' profiles (the ``user_profiles`` table): created on
a user's first authenticated request, kept in step with the token's claims."""

import logging
import re
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.db import insert_or_read
from common.phones import phone_normalize
from sessions_app.models import UserProfile

logger = logging.getLogger(__name__)
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
        changes: dict[str, Any] = {}
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


def user_profiles_set_role(
    *, user_ids: Iterable[uuid.UUID | str] | QuerySet[Any, Any], role: str
) -> int:
    """Give the profiles ``user_ids`` (ids or a queryset of ids) the role ``role``
    (``user`` | ``admin``). One set-based UPDATE.

    Returns: the number of profiles whose role changed.
    Raises: django ValidationError ``{"role": …}`` for another role.
    """
    if role not in UserProfile.Role.values:
        roles = ", ".join(UserProfile.Role.values)
        raise ValidationError({"role": f"Role must be one of {roles}."})
    return UserProfile.objects.filter(pk__in=user_ids).exclude(role=role).update(role=role)
