"""Admin for AI sessions and interactions: built for large tables.

Lists never count the whole table (``show_full_result_count = False``), join what
they show (``list_select_related``) and compute totals with correlated subqueries
for the page's rows only, so a page costs the same number of queries whatever
the table size.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.forms.models import BaseInlineFormSet
from django.utils import timezone

from common.admin import CsvExportMixin, ReadOnlyAdminMixin
from interactions import selectors
from interactions.citations.admin import InteractionCitationInline
from interactions.models import AIInteraction, AISession

INLINE_LIMIT = 20  # interactions shown on a session's page, newest first
MODEL_CHOICES_LIMIT = 50
MODEL_CHOICES_DAYS = 30  # the model filter offers the models of this many recent days


def _model_lookups():
    # DISTINCT over recent rows only (index on created_at): a full-table DISTINCT
    # would read every interaction on each page view. Older models still filter by URL.
    since = timezone.now() - timedelta(days=MODEL_CHOICES_DAYS)
    values = (
        AIInteraction.objects.order_by()
        .filter(created_at__gte=since)
        .exclude(model_used=None)
        .values_list("model_used", flat=True)
        .distinct()[:MODEL_CHOICES_LIMIT]
    )
    return [(value, value) for value in sorted(v for v in values if v is not None)]


class SessionModelFilter(admin.SimpleListFilter):
    """Sessions with at least one interaction on the chosen model (EXISTS subquery).
    The choices are the models used in the last ``MODEL_CHOICES_DAYS`` days."""

    title = "model"
    parameter_name = "model"

    def lookups(self, request, model_admin):
        return _model_lookups()

    def queryset(self, request, queryset):
        if self.value():
            used = AIInteraction.objects.filter(session=OuterRef("pk"), model_used=self.value())
            return queryset.filter(Exists(used))
        return queryset


class InteractionModelFilter(SessionModelFilter):
    """Interactions on the chosen model (index ``(model_used, created_at)``)."""

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(model_used=self.value())
        return queryset


class LatestInteractionsFormSet(BaseInlineFormSet):
    """Only the newest ``INLINE_LIMIT`` interactions: a long chat stays one short query."""

    def get_queryset(self):
        if not hasattr(self, "_latest"):
            self._latest = super().get_queryset().order_by("-created_at")[:INLINE_LIMIT]
        return self._latest


class AIInteractionInline(admin.TabularInline):
    """Read-only history on the session page, newest first, at most ``INLINE_LIMIT``."""

    model = AIInteraction
    formset = LatestInteractionsFormSet
    fields = [
        "created_at",
        "model_used",
        "prompt",
        "response",
        "tokens_used",
        "latency_ms",
    ]
    readonly_fields = tuple(str(f) for f in fields)
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = f"interactions (newest {INLINE_LIMIT})"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AISession)
class AISessionAdmin(CsvExportMixin, admin.ModelAdmin):
    """AI sessions with interaction counts and cost (USD, known prices only).

    Deleting a session deletes its interactions with it (no counter is left behind);
    its usage rows stay, with ``ai_session``/``interaction`` set to NULL by Django,
    so the billing record and the user's totals are kept.
    """

    list_display = [
        "id",
        "user_id",
        "channel",
        "title",
        "interaction_count",
        "total_tokens",
        "total_cost",
        "last_interaction_at",
        "created_at",
    ]
    list_filter = ["channel", SessionModelFilter]
    search_fields = [
        "=id",
        "=user_id",
        "interactions__prompt",
        "interactions__response",
    ]
    date_hierarchy = "created_at"
    ordering = ["-updated_at"]
    show_full_result_count = False
    list_per_page = 50
    list_select_related = ["customer_session"]
    raw_id_fields = ["customer_session"]
    readonly_fields = [
        "id",
        "created_at",
        "updated_at",
        "last_interaction_at",
        "interaction_count",
    ]
    inlines = [AIInteractionInline]

    def get_queryset(self, request):
        return selectors.ai_session_list()

    def get_deleted_objects(self, objs, request):
        # Interactions are not deletable one by one (AIInteractionAdmin), but they go
        # with their whole session: do not let that block deleting the session.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(AIInteraction._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    @admin.display(description="tokens", ordering="total_tokens")
    def total_tokens(self, obj: AISession) -> int:
        return int(getattr(obj, "total_tokens", 0))  # annotated by the selector

    @admin.display(description="cost (USD)", ordering="total_cost_usd")
    def total_cost(self, obj: AISession) -> Decimal | None:
        return getattr(obj, "total_cost_usd", None)  # annotated by the selector


@admin.register(AIInteraction)
class AIInteractionAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """Every interaction: search by prompt/response text, session or user; filter by
    model and date. Read-only and not deletable: history is written by the API only,
    and deleting one interaction would leave its session's ``interaction_count`` and
    ``last_interaction_at`` out of step (deleting the whole session is allowed).
    An interaction's page lists its citations."""

    list_display = [
        "created_at",
        "session_id",
        "user",
        "model_used",
        "tokens_used",
        "latency_ms",
        "prompt_start",
    ]
    list_filter = [InteractionModelFilter]
    search_fields = ["prompt", "response", "=session__id", "=session__user_id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False
    list_per_page = 50
    list_select_related = ["session"]
    raw_id_fields = ["session"]
    inlines = [InteractionCitationInline]

    @admin.display(description="user", ordering="session__user_id")
    def user(self, obj: AIInteraction):
        return obj.session.user_id

    @admin.display(description="prompt")
    def prompt_start(self, obj: AIInteraction) -> str:
        return obj.prompt if len(obj.prompt) <= 80 else obj.prompt[:79] + "…"
