"""Input and output shapes of the usage endpoints (the OpenAPI schema is built from them).

Costs are USD decimal strings with 12 decimal places; tokens are integers;
dates are ISO 8601 UTC dates.
"""

from datetime import timedelta

from django.utils import timezone
from rest_framework import serializers

from usage.models import Budget, UsageAlert
from usage.selectors.analytics import TOP_DEFAULT, TOP_MAX

DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366


def _cost(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=24, decimal_places=12, **kwargs)


class _WithFromTo:
    """Adds the ``from`` and ``to`` fields (``from`` is a Python keyword)."""

    def get_fields(self):
        fields = super().get_fields()  # type: ignore[misc]
        fields["from"] = serializers.DateField(required=False, help_text="inclusive UTC date")
        fields["to"] = serializers.DateField(required=False, help_text="inclusive UTC date")
        return fields


class PeriodQuerySerializer(_WithFromTo, serializers.Serializer):
    """``?from=&to=`` (inclusive UTC dates; default: the last 30 days up to today;
    at most 366 days)."""

    def validate(self, attrs):
        today = timezone.now().date()
        end = attrs.get("to") or today
        start = attrs.get("from") or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"from": "from must not be after to."})
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise serializers.ValidationError(
                {"from": f"A period is at most {MAX_PERIOD_DAYS} days."}
            )
        attrs["start"], attrs["end"] = start, end
        return attrs


class SummaryQuerySerializer(PeriodQuerySerializer):
    """Period plus ``user_id`` (admins and API keys; an API key must send it)."""

    user_id = serializers.CharField(max_length=100, required=False)


class AnalyticsQuerySerializer(PeriodQuerySerializer):
    """Period plus ``limit`` (top users and models, 1 to 100, default 10)."""

    limit = serializers.IntegerField(min_value=1, max_value=TOP_MAX, default=TOP_DEFAULT)


class UserQuerySerializer(serializers.Serializer):
    """``?user_id=`` (API keys must send it; signed-in users get their own)."""

    user_id = serializers.CharField(max_length=100, required=False)


class FiguresSerializer(serializers.Serializer):
    """Usage figures. ``calls`` includes errors; ``unpriced_calls`` are calls of models
    without a known price (not in ``cost_usd``)."""

    calls = serializers.IntegerField()
    input_tokens = serializers.IntegerField(help_text="including cached input tokens")
    cached_input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField(help_text="including reasoning tokens")
    reasoning_output_tokens = serializers.IntegerField()
    cost_usd = _cost(help_text="USD, priced calls only")
    unpriced_calls = serializers.IntegerField()


class DayFiguresSerializer(FiguresSerializer):
    date = serializers.DateField(help_text="UTC day")


class ModelFiguresSerializer(FiguresSerializer):
    model = serializers.CharField(allow_null=True, help_text="null: no model reported")


class ServiceFiguresSerializer(FiguresSerializer):
    service = serializers.CharField()


class SummarySerializer(_WithFromTo, serializers.Serializer):
    """Answer of ``GET /api/v1/usage/summary/``."""

    totals = FiguresSerializer()
    by_day = DayFiguresSerializer(many=True, help_text="every day of the period, zeros included")
    by_model = ModelFiguresSerializer(many=True, help_text="highest cost first")
    by_service = ServiceFiguresSerializer(many=True, help_text="highest cost first")


class TopUserSerializer(serializers.Serializer):
    user_id = serializers.CharField(allow_null=True, help_text="null: calls without a user")
    calls = serializers.IntegerField()
    cost_usd = _cost()


class TopModelSerializer(serializers.Serializer):
    model = serializers.CharField(allow_null=True)
    calls = serializers.IntegerField()
    cost_usd = _cost()


class AnalyticsSerializer(_WithFromTo, serializers.Serializer):
    """Answer of ``GET /api/v1/usage/analytics/``."""

    totals = FiguresSerializer()
    by_day = DayFiguresSerializer(many=True)
    top_users = TopUserSerializer(many=True, help_text="by cost, highest first")
    top_models = TopModelSerializer(many=True, help_text="by cost, highest first")


class EventsInputSerializer(serializers.Serializer):
    """Body of ``POST /api/v1/usage/events/``: 1 to 1,000 events. An event:
    ``request_id`` (required, unique, ≤ 128), ``service`` (required), ``usage``
    (required: OpenAI's usage object, Chat Completions or Responses shape),
    ``model``, ``response_model``, ``user_id``, ``ai_session_id``, ``latency_ms``,
    ``status`` (``success``/``error``), ``metadata`` (object), ``created_at``
    (ISO 8601 with offset, default now, at most 5 minutes ahead)."""

    # Items are checked by the ingest service (every bad item named by index and
    # field); a child field here would re-serialise each event for nothing.
    events = serializers.ListField(
        min_length=1, max_length=1000, help_text="usage events (objects), see above"
    )


class EventsIngestedSerializer(serializers.Serializer):
    """Answer of ``POST /api/v1/usage/events/``."""

    created = serializers.IntegerField()
    duplicates = serializers.IntegerField(
        help_text="skipped: request_id already recorded or repeated in the batch"
    )
    budget_exceeded = serializers.ListField(
        child=serializers.CharField(),
        help_text="users of the written events now over one of their budgets",
    )


class BudgetSerializer(serializers.ModelSerializer):
    """A budget. Exactly one of ``user_id`` and ``role``; at least one of
    ``limit_usd`` (USD) and ``limit_tokens`` (input + output tokens);
    ``window_days`` for ``rolling`` windows only; ``alert_thresholds`` fractions
    in (0, 1], default ``[0.8, 0.95]``."""

    role = serializers.ChoiceField(
        choices=["user", "admin"], required=False, allow_null=True, help_text="user_profiles.role"
    )
    limit_usd = _cost(min_value=0, required=False, allow_null=True)
    alert_thresholds = serializers.ListField(
        child=serializers.FloatField(min_value=0, max_value=1), required=False
    )

    class Meta:
        model = Budget
        fields = [
            "id",
            "name",
            "role",
            "user_id",
            "limit_usd",
            "limit_tokens",
            "window",
            "window_days",
            "alert_thresholds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        extra_kwargs = {
            "limit_tokens": {"min_value": 0},
            "window_days": {"min_value": 1, "max_value": 3660},
        }


class BudgetStatusSerializer(serializers.Serializer):
    """One budget's current window for the user. ``remaining_*`` ≥ 0; null where the
    budget has no such limit. ``used_tokens`` is input + output tokens."""

    id = serializers.IntegerField(source="budget.pk")
    scope = serializers.CharField(source="budget.scope", help_text="user or role")
    window = serializers.CharField(source="budget.window")
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    limit_usd = _cost(source="budget.limit_usd", allow_null=True)
    used_usd = _cost()
    remaining_usd = _cost(allow_null=True)
    limit_tokens = serializers.IntegerField(source="budget.limit_tokens", allow_null=True)
    used_tokens = serializers.IntegerField()
    remaining_tokens = serializers.IntegerField(allow_null=True)


class QuotaSerializer(serializers.Serializer):
    """Answer of ``GET /api/v1/usage/quota/``: ``allowed`` is false when any applicable
    budget is used up (used ≥ limit)."""

    allowed = serializers.BooleanField()
    budgets = BudgetStatusSerializer(many=True)


class AlertSerializer(serializers.ModelSerializer):
    """A threshold crossed: ``threshold`` a fraction (0.8 = 80 %), the use at the time."""

    budget_id = serializers.IntegerField()
    threshold = serializers.FloatField()
    used_usd = _cost()

    class Meta:
        model = UsageAlert
        fields = [
            "id",
            "budget_id",
            "user_id",
            "threshold",
            "window_start",
            "used_usd",
            "used_tokens",
            "created_at",
        ]
        read_only_fields = fields


class AlertQuerySerializer(serializers.Serializer):
    """``?user_id=&budget_id=`` filters of the alert list."""

    user_id = serializers.CharField(max_length=100, required=False)
    budget_id = serializers.IntegerField(min_value=1, required=False)
