"""Admin for the panel's own tables (command runs, server errors) and for API keys."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.admin import APIKeyModelAdmin
from rest_framework_api_key.models import APIKey

from admin_panel.models import CommandRun, ServerError
from common.admin import CsvExportMixin, ReadOnlyAdminMixin


@admin.register(CommandRun)
class CommandRunAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """Runs of the maintenance commands, newest first: when, how long, what they did."""

    list_display = ["command", "started_at", "duration_ms", "status", "summary", "error"]
    list_filter = ["status", "command"]
    search_fields = ["=command"]
    date_hierarchy = "started_at"
    ordering = ["-started_at"]
    show_full_result_count = False
    list_per_page = 100


@admin.register(ServerError)
class ServerErrorAdmin(ReadOnlyAdminMixin, CsvExportMixin, admin.ModelAdmin):
    """5xx answers (the newest thousand): the request id finds the full log line."""

    list_display = ["occurred_at", "status_code", "method", "path", "error_class", "request_id"]
    list_filter = ["status_code"]
    search_fields = ["=request_id", "path"]
    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at"]
    show_full_result_count = False
    list_per_page = 100


admin.site.unregister(APIKey)


@admin.register(APIKey)
class ApiKeyAdmin(CsvExportMixin, APIKeyModelAdmin):
    """Channel and service API keys (djangorestframework-api-key): only the prefix is
    ever shown (the key is printed once, at creation); revoke keys in bulk."""

    ordering = ("-created",)
    actions = ("revoke_keys",)

    def get_list_filter(self, request: HttpRequest) -> tuple[str, ...]:
        return ("revoked", "created")

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[APIKey]) -> None:
        count = queryset.filter(revoked=False).update(revoked=True)
        self.message_user(request, f"Revoked {count} API key(s).", messages.SUCCESS)


admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    """django-axes' failed admin logins per username and IP (delete a row to lift a
    lockout). Axes' own "clean up expired attempts" action deletes rows but states
    no permission, so a view-only account could run it: here it needs delete."""

    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet) -> None:
        super().cleanup_expired_attempts(request, queryset)
