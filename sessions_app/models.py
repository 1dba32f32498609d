"""Customer sessions across channels (`sessions`), signed-in users' profiles
(`user_profiles`) and their platform sessions (`user_sessions`)."""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now


def new_session_token() -> str:
    """An opaque customer session token: 256 bits from the OS CSPRNG, URL-safe (43 chars)."""
    return secrets.token_urlsafe(32)


class CustomerSession(models.Model):
    """One customer's session on the kiosk, WhatsApp, the website or chat.

    Table and columns are the ones the existing frontends and SQL users rely on.
    ``customer_id`` is TEXT and never cast to a number (an id, not a quantity); ``phone``
    is E.164. The database allows at most one ``active`` row per phone.
    """

    class Channel(models.TextChoices):
        WHATSAPP = "whatsapp", "WhatsApp"
        KIOSK = "kiosk", "Kiosk"
        WEBSITE = "website", "Website"
        CHAT = "chat", "Chat"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        LOGGED_OUT = "logged_out", "Logged out"

    session_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer_id = models.TextField()
    phone = models.TextField(help_text="E.164, e.g. +919876543210")
    channel = models.TextField(choices=Channel.choices)
    session_token = models.TextField(unique=True, default=new_session_token, editable=False)
    status = models.TextField(choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField()
    last_activity = models.DateTimeField()
    expires_at = models.DateTimeField()
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "sessions"
        verbose_name = "customer session"
        ordering = ["-last_activity"]
        constraints = [
            # Concurrent starts for one phone end on the same row.
            models.UniqueConstraint(
                fields=["phone"],
                condition=Q(status="active"),
                name="sessions_one_active_per_phone",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=["whatsapp", "kiosk", "website", "chat"]),
                name="sessions_channel_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "expired", "logged_out"]),
                name="sessions_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "expires_at"], name="sessions_status_expires_idx"),
            models.Index(fields=["customer_id"], name="sessions_customer_idx"),
            models.Index(fields=["phone"], name="sessions_phone_idx"),
            models.Index(fields=["channel", "status"], name="sessions_channel_status_idx"),
            # The dashboard's sessions started per day and channel: read from the
            # index alone on PostgreSQL (created_at and channel never change).
            models.Index(fields=["created_at"], include=["channel"], name="sessions_created_idx"),
            models.Index(fields=["last_activity"], name="sessions_last_activity_idx"),
            # The dashboard's active sessions per channel: an index-only count of the
            # live rows (a few per cent of the table).
            models.Index(
                fields=["channel", "expires_at"],
                condition=Q(status="active"),
                name="sessions_active_channel_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.channel}, {self.status})"

    @property
    def token_hint(self) -> str:
        """The first characters of the token, enough to tell two apart, never the token."""
        return f"{self.session_token[:4]}…" if self.session_token else ""


class UserProfile(models.Model):
    """A signed-in app user (`user_profiles`).

    ``id`` is the Supabase user id (the access token's ``sub``); on a Supabase
    database it references ``auth.users(id) ON DELETE CASCADE`` (migration 0003).
    A row is created on the user's first authenticated request. The API's
    authentication class returns the caller's profile as ``request.user``, so it
    offers what DRF and ``common.permissions`` read: ``is_authenticated``,
    ``pk`` and ``is_admin``.
    """

    class Role(models.TextChoices):
        USER = "user", "User"
        ADMIN = "admin", "Admin"

    id = models.UUIDField(primary_key=True, help_text="Supabase auth user id (token sub)")
    # NULL: the token carried none (phone-only or email-only users).
    email = models.TextField(null=True, blank=True, help_text="from the token, lower case")  # noqa: DJ001
    phone = models.TextField(null=True, blank=True, help_text="from the token, E.164")  # noqa: DJ001
    role = models.TextField(choices=Role.choices, default=Role.USER, db_default=Role.USER)
    registration_source = models.TextField(
        blank=True,
        default="",
        db_default="",
        help_text="platform of the first session, or the client's X-Client-Platform header",
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    last_seen_at = models.DateTimeField(
        db_default=Now(), help_text="last authenticated request (to the minute)"
    )

    class Meta:
        db_table = "user_profiles"
        verbose_name = "user profile"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=["user", "admin"]), name="user_profiles_role_valid"
            ),
        ]
        indexes = [
            # text_pattern_ops (PostgreSQL; ignored elsewhere) also serves the
            # admin's prefix search (LIKE 'ann%').
            models.Index(
                fields=["email"], name="user_profiles_email_idx", opclasses=["text_pattern_ops"]
            ),
            models.Index(fields=["phone"], name="user_profiles_phone_idx"),
            models.Index(fields=["role"], name="user_profiles_role_idx"),
            models.Index(fields=["registration_source"], name="user_profiles_source_idx"),
            models.Index(fields=["created_at"], name="user_profiles_created_idx"),
        ]

    # Set per request by sessions_app.authentication from the verified token.
    token_claims: dict | None = None

    def __str__(self) -> str:
        return self.email or self.phone or str(self.id)

    @property
    def is_authenticated(self) -> bool:
        """Always True: a profile only reaches ``request.user`` after a verified token."""
        return True

    @property
    def is_anonymous(self) -> bool:
        """Django's meaning (not signed in): always False for a profile."""
        return False

    @property
    def is_staff(self) -> bool:
        """App users are never Django staff (DRF's IsAdminUser reads this)."""
        return False

    @property
    def is_admin(self) -> bool:
        """Admin when our ``role`` is ``admin`` or the token's ``app_metadata`` says so.

        ``app_metadata`` is set only by the Supabase service role; ``user_metadata``
        is editable by the user and is never consulted (Supabase docs, "User
        management: app_metadata vs user_metadata").
        """
        if self.role == self.Role.ADMIN:
            return True
        app_metadata = (self.token_claims or {}).get("app_metadata") or {}
        if not isinstance(app_metadata, dict):
            return False
        roles = app_metadata.get("roles")
        return app_metadata.get("role") == "admin" or (isinstance(roles, list) and "admin" in roles)


USER_SESSION_PLATFORMS = ["web", "ios-external", "ios-internal", "ios-widget", "macos-internal"]
USER_SESSION_STATUSES = ["active", "idle", "ended", "timeout"]
USER_SESSION_END_REASONS = ["logout", "timeout", "manual", "app_close", "crash"]


class UserSession(models.Model):
    """A signed-in user's session on one platform (`user_sessions`).

    Columns, checks, defaults and indexes are the original SQL's; defaults that it
    gives in SQL are database defaults here too (``db_default``), so rows inserted
    by other SQL clients get them. ``updated_at`` is set by every write of the
    services and commands, and on PostgreSQL also by a BEFORE UPDATE trigger
    (migration 0003) for writers outside Django.
    """

    class Platform(models.TextChoices):
        WEB = "web", "Web"
        IOS_EXTERNAL = "ios-external", "iOS (external)"
        IOS_INTERNAL = "ios-internal", "iOS (internal)"
        IOS_WIDGET = "ios-widget", "iOS widget"
        MACOS_INTERNAL = "macos-internal", "macOS (internal)"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        IDLE = "idle", "Idle"
        ENDED = "ended", "Ended"
        TIMEOUT = "timeout", "Timed out"

    class EndReason(models.TextChoices):
        LOGOUT = "logout", "Logout"
        TIMEOUT = "timeout", "Timeout"
        MANUAL = "manual", "Manual"
        APP_CLOSE = "app_close", "App closed"
        CRASH = "crash", "Crash"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The original SQL's REFERENCES auth.users(id) is added on Supabase (migration 0003);
    # this foreign key to the profile holds everywhere.
    user = models.ForeignKey(
        UserProfile,
        on_delete=models.CASCADE,
        related_name="sessions",
        db_column="user_id",
        db_index=False,  # idx_user_sessions_user_id below leads with user_id
    )
    session_id = models.TextField(help_text="unique, generated by the client")
    platform = models.TextField(choices=Platform.choices)
    started_at = models.DateTimeField(db_default=Now())
    last_activity_at = models.DateTimeField(db_default=Now())
    ended_at = models.DateTimeField(null=True, blank=True, help_text="NULL while not ended")
    device_info = models.JSONField(default=dict, db_default={}, blank=True)
    location_info = models.JSONField(null=True, blank=True, default=dict, db_default={})
    user_agent = models.TextField(null=True, blank=True)  # noqa: DJ001 (nullable in the original SQL)
    ip_address = models.GenericIPAddressField(
        null=True, blank=True, help_text="masked: IPv4 /24, IPv6 /48"
    )
    total_duration_seconds = models.IntegerField(null=True, default=0, db_default=0)
    activity_count = models.IntegerField(null=True, default=0, db_default=0)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True, db_default=Now())
    status = models.TextField(choices=Status.choices, default=Status.ACTIVE, db_default="active")
    end_reason = models.TextField(  # noqa: DJ001 (NULL until the session ends)
        choices=EndReason.choices, null=True, blank=True
    )
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    updated_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "user_sessions"
        verbose_name = "user session"
        ordering = ["-started_at"]
        constraints = [
            # The original SQL's UNIQUE; PostgreSQL and SQLite index it, which is the
            # original idx_user_sessions_session_id (a second index would only cost writes).
            models.UniqueConstraint(fields=["session_id"], name="user_sessions_session_id_key"),
            models.CheckConstraint(
                condition=Q(platform__in=USER_SESSION_PLATFORMS),
                name="user_sessions_platform_check",
            ),
            models.CheckConstraint(
                condition=Q(status__in=USER_SESSION_STATUSES), name="user_sessions_status_check"
            ),
            models.CheckConstraint(
                condition=Q(end_reason__isnull=True) | Q(end_reason__in=USER_SESSION_END_REASONS),
                name="user_sessions_end_reason_check",
            ),
        ]
        indexes = [
            # The original SQL's indexes. idx_user_sessions_user_id also carries started_at so
            # "my sessions, newest first" is one index scan.
            models.Index(fields=["user", "-started_at"], name="idx_user_sessions_user_id"),
            models.Index(fields=["platform"], name="idx_user_sessions_platform"),
            models.Index(fields=["status"], name="idx_user_sessions_status"),
            models.Index(fields=["started_at"], name="idx_user_sessions_started_at"),
            # The original SQL's idx_user_sessions_last_activity (31 characters; Django
            # allows 30).
            models.Index(fields=["last_activity_at"], name="idx_user_sessions_last_act"),
            models.Index(
                fields=["user", "status"],
                condition=Q(status="active"),
                name="idx_user_sessions_active",
            ),
            # For the maintenance commands and the admin's end-reason filter.
            models.Index(
                fields=["last_heartbeat_at"],
                condition=Q(status__in=["active", "idle"]),
                name="user_sessions_live_hb_idx",
            ),
            models.Index(
                fields=["ended_at"],
                condition=Q(ended_at__isnull=False),
                name="user_sessions_ended_at_idx",
            ),
            models.Index(fields=["end_reason"], name="user_sessions_end_reason_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} ({self.platform}, {self.status})"
