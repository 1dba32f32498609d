"""AI chat sessions and their interactions (``ai_sessions``, ``ai_interactions``).

String columns are NULL when unknown (the original SQL's `user_id VARCHAR(100) NULL`, `model_used
VARCHAR(50)`), hence `null=True` on CharFields (ruff DJ001 silenced on purpose).

Table and column names are the original SQL's (``ai_sessions``, ``ai_interactions``); the
AI backend and SQL readers already depend on them. Extra columns are nullable, or
NOT NULL with a database default (``db_default``), so an ``INSERT`` that names only
the original SQL's columns still works; Django itself writes the Python ``default``.
"""

import uuid

from django.db import models
from django.db.models.functions import Now
from django.utils import timezone


class AISession(models.Model):
    """One conversation between a user (or an anonymous visitor) and the assistant.

    ``id`` is the id the frontend got from ``POST /session/create`` (the old
    frontend's id must be the row's id). ``interaction_count`` and
    ``last_interaction_at`` are kept in step by ``ai_interaction_log`` (an F()
    increment in the interaction's transaction); ``updated_at`` is the last activity
    and orders the session list.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    # db_default: the old chat backend's inserts may omit the timestamps (its columns have no
    # default there); Django writes timezone.now() itself.
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    updated_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # Extras (nullable): what the admin and the lists need.
    title = models.CharField(max_length=200, null=True, blank=True)  # noqa: DJ001
    channel = models.CharField(  # noqa: DJ001
        max_length=32,
        null=True,
        blank=True,
        help_text="kiosk, whatsapp, website, chat, web, ios, … (free slug)",
    )
    customer_session = models.ForeignKey(
        "sessions_app.CustomerSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="customer_session_id",
        related_name="ai_sessions",
    )
    openai_conversation_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    last_interaction_at = models.DateTimeField(null=True, blank=True)
    # NOT NULL with a database default too, so an INSERT naming only the original
    # columns (as the old chat backend's db_service wrote them) works.
    interaction_count = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        db_table = "ai_sessions"
        verbose_name = "AI session"
        ordering = ["-updated_at"]
        indexes = [
            # The list: newest activity first, optionally one user's / one channel's.
            models.Index(fields=["-updated_at"], name="ai_sessions_updated_idx"),
            models.Index(fields=["user_id", "-updated_at"], name="ai_sessions_user_updated_idx"),
            models.Index(fields=["channel", "-updated_at"], name="ai_sessions_chan_updated_idx"),
            models.Index(fields=["created_at"], name="ai_sessions_created_idx"),
        ]

    def __str__(self) -> str:
        return str(self.id)


class AIInteraction(models.Model):
    """One prompt and the assistant's response, with the call's token split.

    ``tokens_used`` is the call's total tokens (the old chat backend's readers use it); the
    split follows the OpenTelemetry GenAI terms: ``input_tokens`` includes
    ``cached_input_tokens``, ``output_tokens`` includes ``reasoning_output_tokens``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        AISession,
        on_delete=models.CASCADE,
        db_column="session_id",
        related_name="interactions",
        db_index=False,  # the (session_id, created_at) index below serves it
    )
    prompt = models.TextField()
    response = models.TextField()
    model_used = models.CharField(max_length=50, null=True, blank=True)  # noqa: DJ001
    tokens_used = models.IntegerField(null=True, blank=True, help_text="total tokens")
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    # Extras (nullable).
    openai_response_id = models.CharField(max_length=128, null=True, blank=True)  # noqa: DJ001
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=32, null=True, blank=True)  # noqa: DJ001
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    cached_input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    reasoning_output_tokens = models.PositiveIntegerField(null=True, blank=True)
    # NOT NULL with a database default ({}): the old chat backend's inserts do not name it.
    metadata = models.JSONField(default=dict, db_default={}, blank=True)

    class Meta:
        db_table = "ai_interactions"
        verbose_name = "AI interaction"
        ordering = ["created_at"]
        indexes = [
            # History by (session_id, created_at).
            models.Index(fields=["session", "created_at"], name="ai_interactions_session_idx"),
            models.Index(fields=["model_used", "created_at"], name="ai_interactions_model_idx"),
            models.Index(fields=["created_at"], name="ai_interactions_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.session_id} @ {self.created_at:%Y-%m-%d %H:%M:%S}"
