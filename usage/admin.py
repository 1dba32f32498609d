"""Admin for usage rows: model, tokens, cost; unknown prices stand out.

Read-only and not deletable (rows are written by the services; they are the
billing record, and a deleted row would let a retried ``request_id`` be counted
again), built for a large table: no full count, no per-row queries, every filter
backed by an index.
"""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone

from common.admin import CsvExportMixin, ReadOnlyAdminMixin
from usage.models import UsageLog

MODEL_CHOICES_LIMIT = 50
MODEL_CHOICES_DAYS = 30  # the model filter offers the models of this many recent days


class RequestModelFilter(admin.SimpleListFilter):
    """Rows of one requested model (index ``(request_model, created_at)``). The
    choices are the models of the last ``MODEL_CHOICES_DAYS`` days: a DISTINCT over
    the whole table would read every row on each page view."""

    title = "model"
    parameter_name = "model"

    def lookups(self, request, model_admin):
        since = timezone.now() - timedelta(days=MODEL_CHOICES_DAYS)
        values = (
            UsageLog.objects.order_by()
            .filter(created_at__gte=since)
            .exclude(request_model=None)
            .values_list("request_model", flat=True)
            .distinct()[:MODEL_CHOICES_LIMIT]
        )
        return [(value, value) for value in sorted(v for v in values if v is not None)]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(request_model=self.value())
        return queryset


class PriceUnknownFilter(admin.SimpleListFilter):
    """Rows whose model had no price (cost NULL): partial index on ``price_unknown``."""

    title = "price"
    parameter_name = "price"

    def lookups(self, request, model_admin):
        return [("unknown", "Unknown price (no cost)"), ("known", "Priced")]

    def queryset(self, request, queryset):
        if self.value() == "unknown":
            return queryset.filter(price_unknown=True)
        if self.value() == "known":
            return queryset.filter(price_unknown=False)
        return queryset


@admin.register(UsageLog)
class UsageLogAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """One row per OpenAI call: tokens (input includes cached, output includes
    reasoning), cost in USD from genai-prices, the caller's reported cost apart."""

    list_display = [
        "created_at",
        "service",
        "request_model",
        "response_model",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
        "total_tokens",
        "cost",
        "price_unknown",
        "status",
        "user_id",
        "ai_session_id",
    ]
    list_filter = [PriceUnknownFilter, "service", "status", RequestModelFilter]
    search_fields = ["=request_id", "=user_id", "=ai_session__id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False
    # No join: the list shows the session's id (the FK column), nothing of it.
    list_select_related = False
    list_per_page = 100
    raw_id_fields = ["ai_session", "interaction"]

    @admin.display(description="cost (USD)", ordering="cost_usd")
    def cost(self, obj: UsageLog) -> str:
        return "unknown price" if obj.cost_usd is None else f"{obj.cost_usd.normalize():f}"
