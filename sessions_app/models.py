"""Customer sessions across channels (seeds 000, 001; DESIGN.md `sessions`)."""

import secrets
import uuid

from django.db import models
from django.db.models import Q


def new_session_token() -> str:
    """An opaque customer session token: 256 bits from the OS CSPRNG, URL-safe (43 chars)."""
    return secrets.token_urlsafe(32)


class CustomerSession(models.Model):
    """One customer's session on the kiosk, WhatsApp, the website or chat.

    Table and columns are the ones the seeds' frontends and SQL users rely on.
    ``customer_id`` is TEXT and never cast to a number (seed 001's bug); ``phone``
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
            # Concurrent starts for one phone end on the same row (DESIGN.md).
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
            models.Index(fields=["created_at"], name="sessions_created_idx"),
            models.Index(fields=["last_activity"], name="sessions_last_activity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} ({self.channel}, {self.status})"

    @property
    def token_hint(self) -> str:
        """The first characters of the token, enough to tell two apart, never the token."""
        return f"{self.session_token[:4]}…" if self.session_token else ""
