"""Usage of model providers: one row per call, the daily rollup, budgets and alerts.

- ``UsageLog`` (``usage_logs``): one row per OpenAI call with its tokens and cost.
- ``UsageDaily`` (``usage_daily``): the same figures summed per UTC day, user,
  service and model, kept exact in the transaction that inserts the raw row.
- ``UsageDailyModel`` (``usage_daily_models``), ``UsageMonthly``
  (``usage_monthly``) and ``UsageWeeklyUser`` (``usage_weekly_users``): coarser
  rollups (per day, service and model over all users; per month, user and
  model; per ISO week and user), kept exact in the same statement.
- ``Budget`` (``usage_budgets``): spend and token limits per role or per user.
- ``UsageAlert`` (``usage_alerts``): one row per budget, user, window and
  threshold crossed.

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
        db_index=False,  # a partial index (Meta): most rows have no session
    )
    interaction = models.ForeignKey(
        "interactions.AIInteraction",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_column="interaction_id",
        related_name="usage_logs",
        db_index=False,  # a partial index (Meta): most rows have no interaction
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
            # A rolling budget window reads one user's rows of its first, partial day;
            # the admin's user filter (with or without the service filter).
            models.Index(fields=["user_id", "created_at"], name="usage_user_created_idx"),
            models.Index(fields=["created_at"], name="usage_created_idx"),
            models.Index(fields=["service", "created_at"], name="usage_service_created_idx"),
            models.Index(fields=["request_model", "created_at"], name="usage_model_created_idx"),
            models.Index(
                fields=["created_at"], condition=Q(price_unknown=True), name="usage_unpriced_idx"
            ),
            models.Index(
                fields=["created_at"], condition=Q(status="error"), name="usage_errors_idx"
            ),
            # The links to the AI session and the interaction (the admin's links and
            # the SET NULL when one is deleted look rows up by them). Only the rows
            # that have one are indexed: events from the batch endpoint mostly have
            # neither, and each index left out is one write less per inserted row.
            models.Index(
                fields=["ai_session"],
                condition=Q(ai_session__isnull=False),
                name="usage_ai_session_idx",
            ),
            models.Index(
                fields=["interaction"],
                condition=Q(interaction__isnull=False),
                name="usage_interaction_idx",
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

    # Set by the usage service that inserted this row (not a column): True when, after
    # this call, one of the user's budgets is used up; None when not evaluated.
    budget_exceeded: bool | None = None

    def __str__(self) -> str:
        return f"{self.service} {self.request_model or '?'} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def rollup_model(self) -> str:
        """The model this call is counted under in ``usage_daily``: the requested model,
        else the one the API answered with, else ""."""
        return self.request_model or self.response_model or ""


# Rollup and budget amounts: USD with 12 decimal places (as usage_logs.cost_usd), wider.
COST_MAX_DIGITS, COST_DECIMAL_PLACES = 24, 12


class RollupFigures(models.Model):
    """The figures every rollup row carries (summed over its key's raw rows).

    ``calls`` includes errors; ``unpriced_calls`` are calls of a model without a
    known price (their cost is not in ``cost_usd``). Token columns are named as
    in ``usage_logs``; ``cost_usd`` is USD.
    """

    calls = models.BigIntegerField(default=0, db_default=0, help_text="errors included")
    error_calls = models.BigIntegerField(default=0, db_default=0)
    unpriced_calls = models.BigIntegerField(default=0, db_default=0)
    input_tokens = models.BigIntegerField(default=0, db_default=0, help_text="including cached")
    cached_input_tokens = models.BigIntegerField(default=0, db_default=0)
    output_tokens = models.BigIntegerField(default=0, db_default=0, help_text="including reasoning")
    reasoning_output_tokens = models.BigIntegerField(default=0, db_default=0)
    total_tokens = models.BigIntegerField(default=0, db_default=0)
    cost_usd = models.DecimalField(
        max_digits=COST_MAX_DIGITS,
        decimal_places=COST_DECIMAL_PLACES,
        default=0,
        db_default=0,
        help_text="USD, priced calls only",
    )

    class Meta:
        abstract = True


class UsageDaily(RollupFigures):
    """Usage summed per UTC day, user, service and model (the analytics' only source).

    Kept exact by the service that inserts ``usage_logs`` rows: the same
    transaction adds the new rows to their day's row with ``INSERT … ON CONFLICT
    DO UPDATE SET calls = usage_daily.calls + excluded.calls, …``, so a figure is
    never behind the log and two concurrent inserts both count.
    ``rebuild_usage_rollups`` recomputes it from the raw rows.

    ``user_id`` and ``model`` are "" (not NULL) for calls without a user or model,
    so the four key columns make a plain unique key on every database. ``model``
    is the requested model, else the model the API answered with. ``calls``
    includes errors; ``unpriced_calls`` are calls of a model without a known price
    (their cost is not in ``cost_usd``). Token columns are named as in
    ``usage_logs``; ``cost_usd`` is USD.
    """

    id = models.BigAutoField(primary_key=True)
    day = models.DateField(help_text="UTC day")
    user_id = models.CharField(max_length=100, blank=True, default="", db_default="")
    service = models.CharField(max_length=32, choices=UsageLog.Service.choices)
    model = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        db_table = "usage_daily"
        verbose_name = "daily usage"
        verbose_name_plural = "daily usage"
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "user_id", "service", "model"], name="usage_daily_key"
            ),
        ]
        indexes = [
            # One user's figures (summary, quota); all users by day is the unique key.
            # No index holds a figure: every insert of usage updates these rows, and
            # an update that changes no indexed column stays on its page (HOT).
            models.Index(fields=["user_id", "day"], name="usage_daily_user_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id or '-'} {self.service} {self.model or '?'}"


class UsageDailyModel(RollupFigures):
    """Usage summed per UTC day, service and model over all users (``usage_daily_models``).

    A dozen rows a day instead of one per user: the all-users totals, ``by_day``
    and ``top_models`` of the analytics read it. Kept exact in the same statement
    that adds to ``usage_daily`` (same keys without the user); rebuilt with it.
    """

    id = models.BigAutoField(primary_key=True)
    day = models.DateField(help_text="UTC day")
    service = models.CharField(max_length=32, choices=UsageLog.Service.choices)
    model = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        db_table = "usage_daily_models"
        verbose_name = "daily usage by model"
        verbose_name_plural = "daily usage by model"
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "service", "model"], name="usage_daily_models_key"
            ),
        ]
        indexes = [
            # The admin's filters (day is the unique key's first column).
            models.Index(fields=["service", "day"], name="usage_daily_models_svc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.service} {self.model or '?'}"


class UsageMonthly(RollupFigures):
    """Usage summed per UTC calendar month, user and model (``usage_monthly``).

    ``month`` is the month's first day. The analytics' ``top_users`` and the cost
    report read whole months of a period here (one row per user and model instead
    of one per day), and ``usage_daily`` for the partial months at its edges.
    Kept exact in the same statement that adds to ``usage_daily``; rebuilt from it.
    """

    id = models.BigAutoField(primary_key=True)
    month = models.DateField(help_text="first day of the UTC month")
    user_id = models.CharField(max_length=100, blank=True, default="", db_default="")
    model = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        db_table = "usage_monthly"
        verbose_name = "monthly usage"
        verbose_name_plural = "monthly usage"
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(fields=["month", "user_id", "model"], name="usage_monthly_key"),
        ]
        indexes = [
            # The admin's model filter (month is the unique key's first column).
            models.Index(fields=["model", "month"], name="usage_monthly_model_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.user_id or '-'} {self.model or '?'}"


class UsageWeeklyUser(RollupFigures):
    """Usage summed per UTC ISO week and user over every service and model
    (``usage_weekly_users``).

    ``week`` is the Monday the week starts on (UTC). The analytics' ``top_users``
    reads a period's whole weeks here (one row per user and week, whatever the
    models), its whole months from ``usage_monthly`` and its other days from
    ``usage_daily_users``, so that any 30-day period costs a few rows per user
    instead of one per user and day.
    Kept exact in the same statement that adds to ``usage_daily``; rebuilt from it.
    """

    id = models.BigAutoField(primary_key=True)
    week = models.DateField(help_text="UTC Monday the ISO week starts on")
    user_id = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        db_table = "usage_weekly_users"
        verbose_name = "weekly usage by user"
        verbose_name_plural = "weekly usage by user"
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(fields=["week", "user_id"], name="usage_weekly_users_key"),
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.user_id or '-'}"


class UsageDailyUser(RollupFigures):
    """Usage summed per UTC day and user over every service and model
    (``usage_daily_users``).

    The analytics' ``top_users`` reads a period's single days here (one row per
    user and day, whatever the models: about half the rows of ``usage_daily``),
    its whole weeks from ``usage_weekly_users`` and whole months from
    ``usage_monthly``. Kept exact in the same statement that adds to
    ``usage_daily``; rebuilt from it.
    """

    id = models.BigAutoField(primary_key=True)
    day = models.DateField(help_text="UTC day")
    user_id = models.CharField(max_length=100, blank=True, default="", db_default="")

    class Meta:
        db_table = "usage_daily_users"
        verbose_name = "daily usage by user"
        verbose_name_plural = "daily usage by user"
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["day", "user_id"], name="usage_daily_users_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.user_id or '-'}"


class Budget(models.Model):
    """A spend and/or token limit over a window, for every user of a role or for one user.

    Exactly one of ``role`` and ``user_id``. A user's own budgets replace their
    role's (all of them). Windows are UTC calendar periods (``daily``; ``weekly``
    from Monday 00:00; ``monthly`` from the 1st) or ``rolling``: the last
    ``window_days`` x 24 hours. Windows are computed from the clock, so a new
    window starts by itself: nothing is reset by a job. ``alert_thresholds`` are
    fractions of the limit (0.8 = 80 %) at which an alert is recorded.
    """

    class Window(models.TextChoices):
        DAILY = "daily", "Daily (UTC day)"
        WEEKLY = "weekly", "Weekly (from Monday, UTC)"
        MONTHLY = "monthly", "Monthly (UTC calendar month)"
        ROLLING = "rolling", "Rolling (last N x 24 hours)"

    id = models.BigAutoField(primary_key=True)
    name = models.CharField(max_length=100, blank=True, default="", db_default="")
    role = models.TextField(  # noqa: DJ001
        null=True, blank=True, help_text="every user of this role (user_profiles.role)"
    )
    user_id = models.CharField(  # noqa: DJ001
        max_length=100, null=True, blank=True, help_text="one user: replaces their role's budgets"
    )
    limit_usd = models.DecimalField(
        max_digits=COST_MAX_DIGITS,
        decimal_places=COST_DECIMAL_PLACES,
        null=True,
        blank=True,
        help_text="USD over the window",
    )
    limit_tokens = models.BigIntegerField(
        null=True, blank=True, help_text="input + output tokens over the window"
    )
    window = models.CharField(max_length=16, choices=Window.choices, default=Window.MONTHLY)
    window_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="rolling windows only: length in days of 24 hours"
    )
    alert_thresholds = models.JSONField(
        default=list, blank=True, help_text="fractions of the limit, e.g. [0.8, 0.95]"
    )
    created_at = models.DateTimeField(default=timezone.now, db_default=Now(), editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "usage_budgets"
        verbose_name = "budget"
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(role__isnull=True) & Q(user_id__isnull=False))
                | (Q(role__isnull=False) & Q(user_id__isnull=True)),
                name="usage_budget_role_xor_user",
            ),
            models.CheckConstraint(
                condition=Q(limit_usd__isnull=False) | Q(limit_tokens__isnull=False),
                name="usage_budget_has_limit",
            ),
            models.CheckConstraint(
                condition=Q(limit_usd__isnull=True) | Q(limit_usd__gte=0),
                name="usage_budget_limit_usd_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(limit_tokens__isnull=True) | Q(limit_tokens__gte=0),
                name="usage_budget_limit_tokens_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(window="rolling") & Q(window_days__gte=1))
                | (~Q(window="rolling") & Q(window_days__isnull=True)),
                name="usage_budget_window_days",
            ),
        ]
        indexes = [
            models.Index(fields=["user_id"], name="usage_budget_user_idx"),
            models.Index(fields=["role"], name="usage_budget_role_idx"),
            # The admin's filter and date hierarchy.
            models.Index(fields=["window"], name="usage_budget_window_idx"),
            models.Index(fields=["created_at"], name="usage_budget_created_idx"),
        ]

    def __str__(self) -> str:
        scope = f"user {self.user_id}" if self.user_id else f"role {self.role}"
        return self.name or f"{scope}, {self.window}"

    @property
    def scope(self) -> str:
        """``user`` or ``role``."""
        return "user" if self.user_id else "role"


class UsageAlert(models.Model):
    """A budget threshold crossed: one row per budget, user, window and threshold.

    The unique key decides when two requests cross a threshold at once: the
    second insert does nothing. ``window_start`` is the window's start (for a
    rolling window: the start of the UTC day of its start, so a rolling budget
    alerts at most once a day per threshold). ``used_usd``/``used_tokens`` are the
    figures at the moment of crossing.
    """

    id = models.BigAutoField(primary_key=True)
    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    user_id = models.CharField(max_length=100)
    threshold = models.DecimalField(max_digits=6, decimal_places=4, help_text="fraction, 0.8")
    window_start = models.DateTimeField()
    used_usd = models.DecimalField(max_digits=COST_MAX_DIGITS, decimal_places=COST_DECIMAL_PLACES)
    used_tokens = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now, db_default=Now())

    class Meta:
        db_table = "usage_alerts"
        verbose_name = "usage alert"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "user_id", "window_start", "threshold"],
                name="usage_alert_once",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="usage_alert_created_idx"),
            # The admin's threshold filter, newest first.
            models.Index(fields=["threshold", "created_at"], name="usage_alert_threshold_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.threshold:%} of budget {self.budget_id}"
