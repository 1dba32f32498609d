"""One row per OpenAI call, with its tokens and cost (``usage_logs``).

String columns are NULL when not reported (ruff DJ001 silenced on purpose): NULL is
not the empty string for a model name or a user id.

Token names follow the OpenTelemetry GenAI semantic conventions and genai-prices:
``input_tokens`` includes ``cached_input_tokens``; ``output_tokens`` includes
``reasoning_output_tokens``; ``total_tokens`` is what the provider reported (or
input + output). ``cost_usd`` is computed here from genai-prices' price data and
is NULL with ``price_unknown`` set when the model has no known price; the cost a
caller reported is kept apart in ``reported_cost_usd``.

Every NOT NULL column except ``service`` has a database default (``db_default``)
as well as Django's, so a plain SQL ``INSERT`` needs only ``id``, ``service`` and
either ``cost_usd`` or ``price_unknown = true``.
"""

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone


class UsageLog(models.Model):
    """One billed call to a model provider (OpenAI by default)."""

    class Service(models.TextChoices):
        CHAT = "chat", "Chat Completions"
        RESPONSES = "responses", "Responses"
        EMBEDDINGS = "embeddings", "Embeddings"
        FILE_SEARCH = "file_search", "File search"
        FILES = "files", "Files"
        ASSISTANTS = "assistants", "Assistants"
        MODERATIONS = "moderations", "Moderations"
        AUDIO = "audio", "Audio"
        IMAGES = "images", "Images"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        SUCCESS = "success", "Success"
        ERROR = "error", "Error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user_id = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    ai_session = models.ForeignKey(
        "interactions.AISession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="ai_session_id",
        related_name="usage_logs",
    )
    interaction = models.ForeignKey(
        "interactions.AIInteraction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="interaction_id",
        related_name="usage_logs",
    )
    service = models.CharField(max_length=32, choices=Service.choices)
    operation = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, help_text="e.g. chat.completions.create"
    )
    provider = models.CharField(max_length=32, default="openai", db_default="openai")
    request_model = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    response_model = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    input_tokens = models.PositiveIntegerField(
        default=0, db_default=0, help_text="including cached"
    )
    cached_input_tokens = models.PositiveIntegerField(default=0, db_default=0)
    output_tokens = models.PositiveIntegerField(
        default=0, db_default=0, help_text="including reasoning"
    )
    reasoning_output_tokens = models.PositiveIntegerField(default=0, db_default=0)
    total_tokens = models.PositiveIntegerField(default=0, db_default=0)
    cost_usd = models.DecimalField(
        max_digits=20, decimal_places=12, null=True, blank=True, help_text="computed, USD"
    )
    reported_cost_usd = models.DecimalField(
        max_digits=20, decimal_places=12, null=True, blank=True, help_text="as the caller sent it"
    )
    price_source = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    price_version = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    price_unknown = models.BooleanField(
        default=False, db_default=False, help_text="no price known for this model: cost_usd is NULL"
    )
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.SUCCESS, db_default=Status.SUCCESS
    )
    request_id = models.CharField(
        max_length=128,
        unique=True,
        null=True,
        blank=True,
        help_text="unique: a retried request is counted once",
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())
    metadata = models.JSONField(default=dict, db_default={}, blank=True)

    class Meta:
        db_table = "usage_logs"
        verbose_name = "usage log"
        ordering = ["-created_at"]
        indexes = [
            # The analytics' indexes: per user, service and time.
            models.Index(
                fields=["user_id", "service", "created_at"], name="usage_user_service_created_idx"
            ),
            models.Index(fields=["created_at"], name="usage_created_idx"),
            models.Index(fields=["service", "created_at"], name="usage_service_created_idx"),
            models.Index(fields=["request_model", "created_at"], name="usage_model_created_idx"),
            models.Index(
                fields=["created_at"], condition=Q(price_unknown=True), name="usage_unpriced_idx"
            ),
            models.Index(
                fields=["created_at"], condition=Q(status="error"), name="usage_errors_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(cached_input_tokens__lte=models.F("input_tokens")),
                name="usage_cached_within_input",
            ),
            models.CheckConstraint(
                condition=Q(reasoning_output_tokens__lte=models.F("output_tokens")),
                name="usage_reasoning_within_output",
            ),
            models.CheckConstraint(
                condition=Q(cost_usd__isnull=False) | Q(price_unknown=True),
                name="usage_cost_or_unknown_flag",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.request_model or '?'} {self.created_at:%Y-%m-%d %H:%M}"
