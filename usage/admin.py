"""Admin for usage: raw rows, the daily rollup, budgets and alerts.

Usage rows and rollup rows are read-only and not deletable (they are written by
the services; they are the billing record, and a deleted row would let a
retried ``request_id`` be counted again). Both are built for large tables: no
full count, no date hierarchy (its DISTINCT over dates reads the whole table),
no per-row queries, every filter backed by an index. Budgets are edited here
and inline on each user profile; alerts are listed.
"""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.checks import InlineModelAdminChecks
from django.forms.models import BaseModelFormSet, modelformset_factory
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from common.admin import CsvExportMixin, ReadOnlyAdminMixin
from usage.models import (
    Budget,
    UsageAlert,
    UsageDaily,
    UsageDailyModel,
    UsageDailyUser,
    UsageLog,
    UsageMonthly,
    UsageWeeklyUser,
)
from usage.services import budget_create, budget_update, usage_rollups_rebuild

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


class UserIdFilter(admin.SimpleListFilter):
    """``?user_id=`` (index ``(user_id, created_at)``): the rows of one user. Not shown
    in the sidebar (no list of every user); the rollup's rows link here, and the
    search box finds a user id too."""

    title = "user"
    parameter_name = "user_id"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(user_id=self.value())
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
    list_filter = [
        PriceUnknownFilter,
        "service",
        "status",
        RequestModelFilter,
        ("created_at", admin.DateFieldListFilter),
        UserIdFilter,
    ]
    search_fields = ["=request_id", "=user_id", "=ai_session__id"]
    search_help_text = "Request id, user id or AI session id (exact)."
    ordering = ["-created_at"]
    show_full_result_count = False
    # No join: the list shows the session's id (the FK column), nothing of it.
    list_select_related = False
    list_per_page = 100
    raw_id_fields = ["ai_session", "interaction"]

    @admin.display(description="cost (USD)", ordering="cost_usd")
    def cost(self, obj: UsageLog) -> str:
        return "unknown price" if obj.cost_usd is None else f"{obj.cost_usd.normalize():f}"


@admin.register(UsageDaily)
class UsageDailyAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """Usage per UTC day, user, service and model (what every figure is read from).
    Read-only; superusers may recompute selected days from the raw rows."""

    list_display = [
        "day",
        "user_id",
        "service",
        "model",
        "calls",
        "error_calls",
        "unpriced_calls",
        "input_tokens",
        "cached_input_tokens",
        "output_tokens",
        "reasoning_output_tokens",
        "cost",
        "raw_rows",
    ]
    # Day: the unique key (day, user_id, service, model) leads with it. No service
    # filter: no index leads with the service (search by model or user instead).
    list_filter = [("day", admin.DateFieldListFilter)]
    search_fields = ["=user_id", "=model"]
    search_help_text = "User id or model (exact)."
    date_hierarchy = "day"
    ordering = ["-day", "user_id", "service", "model"]
    show_full_result_count = False
    list_per_page = 100
    actions = ["rebuild_days"]

    def has_rebuild_permission(self, request) -> bool:
        """Recomputing rollups locks the table for a moment: superusers only."""
        return request.user.is_superuser

    @admin.display(description="cost (USD)", ordering="cost_usd")
    def cost(self, obj: UsageDaily) -> str:
        return f"{obj.cost_usd.normalize():f}"

    @admin.display(description="raw rows")
    def raw_rows(self, obj: UsageDaily):
        query = {"created_at__gte": obj.day.isoformat(), "service__exact": obj.service}
        if obj.user_id:
            query["user_id"] = obj.user_id
        if obj.model:
            query["model"] = obj.model
        url = reverse("admin:usage_usagelog_changelist") + "?" + urlencode(query)
        return format_html('<a href="{}">calls</a>', url)

    @admin.action(description="Recompute the selected days from raw rows", permissions=["rebuild"])
    def rebuild_days(self, request, queryset):
        days = sorted(set(queryset.values_list("day", flat=True)))
        for day in days:
            usage_rollups_rebuild(since=day, until=day)
        self.message_user(request, f"Recomputed {len(days)} day(s).", messages.SUCCESS)


class BudgetForm(forms.ModelForm):
    """Budgets are written through the budget services (their rules give field errors)."""

    class Meta:
        model = Budget
        fields = [
            "name",
            "role",
            "user_id",
            "limit_usd",
            "limit_tokens",
            "window",
            "window_days",
            "alert_thresholds",
        ]
        widgets = {"role": forms.Select(choices=[("", "—"), ("user", "user"), ("admin", "admin")])}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for key in ("role", "user_id"):
            if data.get(key) == "":
                data[key] = None
        if not self.errors:
            try:
                probe = Budget(**{k: data.get(k) for k in self.Meta.fields})
                from usage.services.budgets import _budget_check, _thresholds

                probe.alert_thresholds = _thresholds(data.get("alert_thresholds") or [])
                _budget_check(probe)
            except forms.ValidationError as exc:
                raise forms.ValidationError(exc.message_dict) from None
        return data


@admin.register(Budget)
class BudgetAdmin(CsvExportMixin, admin.ModelAdmin):
    """Spend / token limits per role or per user, with their windows and thresholds."""

    form = BudgetForm
    list_display = [
        "id",
        "name",
        "role",
        "user_id",
        "limit_usd",
        "limit_tokens",
        "window",
        "window_days",
        "alert_thresholds",
        "updated_at",
    ]
    list_filter = ["window", "role"]
    search_fields = ["=user_id", "name"]
    date_hierarchy = "created_at"
    ordering = ["id"]
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        fields = {k: form.cleaned_data.get(k) for k in BudgetForm.Meta.fields}
        if change:
            budget_update(budget=obj, **fields)
        else:
            obj.pk = budget_create(**fields).pk


class ProfileBudgetFormSet(BaseModelFormSet):
    """The budgets of one user profile (``usage_budgets.user_id`` = the profile's id;
    no foreign key: usage user ids may name users without a profile)."""

    fk = None

    def __init__(
        self,
        data=None,
        files=None,
        instance=None,
        save_as_new=False,
        prefix=None,
        queryset=None,
        **kwargs,
    ):
        self.instance = instance
        self.user_id = str(instance.pk) if instance is not None and instance.pk else None
        queryset = (
            Budget.objects.filter(user_id=self.user_id) if self.user_id else Budget.objects.none()
        )
        super().__init__(
            data=data, files=files, prefix=prefix or "budgets", queryset=queryset, **kwargs
        )

    @classmethod
    def get_default_prefix(cls):
        return "budgets"

    def _construct_form(self, i: int, **kwargs: Any) -> forms.ModelForm:
        form = super()._construct_form(i, **kwargs)  # type: ignore[misc]
        if self.user_id:
            form.instance.user_id = self.user_id
        return form

    def save_new(self, form, commit=True):
        fields = {k: form.cleaned_data.get(k) for k in ProfileBudgetForm.Meta.fields}
        return budget_create(user_id=self.user_id, **fields)

    def save_existing(self, form, obj, commit=True):
        fields = {k: form.cleaned_data.get(k) for k in ProfileBudgetForm.Meta.fields}
        return budget_update(budget=obj, **fields)


class ProfileBudgetForm(forms.ModelForm):
    class Meta:
        model = Budget
        fields = ["name", "limit_usd", "limit_tokens", "window", "window_days", "alert_thresholds"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and (
            data.get("limit_usd") is not None
            or data.get("limit_tokens") is not None
            or not self.empty_permitted
        ):
            from usage.services.budgets import _budget_check, _thresholds

            probe = Budget(user_id="x", **{k: data.get(k) for k in self.Meta.fields})
            try:
                probe.alert_thresholds = _thresholds(data.get("alert_thresholds") or [])
                _budget_check(probe)
            except forms.ValidationError as exc:
                raise forms.ValidationError(exc.message_dict) from None
        return data


class _NoForeignKeyInlineChecks(InlineModelAdminChecks):
    """The inline below is tied to its parent by value, not by a foreign key."""

    def _check_relation(self, obj, parent_model):
        return []

    def _check_exclude_of_parent_model(self, obj, parent_model):
        return []


class UserBudgetInline(admin.TabularInline):
    """A user's own budgets on their profile page (they replace the role's budgets)."""

    model = Budget
    form = ProfileBudgetForm
    extra = 0
    verbose_name = "budget of this user"
    verbose_name_plural = "budgets of this user (replace the role's budgets)"
    fields = tuple(ProfileBudgetForm.Meta.fields)
    checks_class = _NoForeignKeyInlineChecks

    def get_formset(self, request, obj=None, **kwargs):
        return modelformset_factory(
            Budget,
            form=ProfileBudgetForm,
            formset=ProfileBudgetFormSet,
            extra=self.get_extra(request, obj),
            can_delete=self.has_delete_permission(request, obj),
            fields=ProfileBudgetForm.Meta.fields,
        )

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user_id__isnull=False)


@admin.register(UsageAlert)
class UsageAlertAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """Budget thresholds crossed: one per budget, user, window and threshold."""

    list_display = [
        "created_at",
        "user_id",
        "budget",
        "percent",
        "window_start",
        "used_usd",
        "used_tokens",
    ]
    list_filter = ["threshold", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=user_id"]
    list_select_related = ["budget"]
    raw_id_fields = ["budget"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False

    @admin.display(description="threshold", ordering="threshold")
    def percent(self, obj: UsageAlert) -> str:
        return f"{obj.threshold * 100:.0f} %"


# --- Coarser rollups (read-only: kept exact by the inserts, rebuilt with usage_daily)


@admin.register(UsageDailyModel)
class UsageDailyModelAdmin(CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Usage per UTC day, service and model over all users."""

    list_display = ["day", "service", "model", "calls", "unpriced_calls", "cost_usd"]
    list_filter = ["service"]
    search_fields = ["=model"]
    date_hierarchy = "day"
    ordering = ["-day"]
    show_full_result_count = False


@admin.register(UsageMonthly)
class UsageMonthlyAdmin(CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Usage per UTC month, user and model."""

    list_display = ["month", "user_id", "model", "calls", "unpriced_calls", "cost_usd"]
    list_filter = ["model"]
    search_fields = ["=user_id", "=model"]
    date_hierarchy = "month"
    ordering = ["-month"]
    show_full_result_count = False


@admin.register(UsageDailyUser)
class UsageDailyUserAdmin(CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Usage per UTC day and user, over every service and model."""

    list_display = ["day", "user_id", "calls", "unpriced_calls", "cost_usd"]
    search_fields = ["=user_id"]
    date_hierarchy = "day"
    ordering = ["-day"]
    show_full_result_count = False


@admin.register(UsageWeeklyUser)
class UsageWeeklyUserAdmin(CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Usage per ISO week (from Monday, UTC) and user, over every model."""

    list_display = ["week", "user_id", "calls", "unpriced_calls", "cost_usd"]
    search_fields = ["=user_id"]
    date_hierarchy = "week"
    ordering = ["-week"]
    show_full_result_count = False
