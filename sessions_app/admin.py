"""Admin for customer sessions: tokens are never shown in full."""

import contextlib

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from common.phones import phone_normalize
from sessions_app import services
from sessions_app.models import CustomerSession


@admin.register(CustomerSession)
class CustomerSessionAdmin(admin.ModelAdmin):
    """List, filter and end customer sessions. The token field is excluded from
    every page; ``token_hint`` shows its first characters only."""

    list_display = [
        "phone",
        "customer_id",
        "channel",
        "status",
        "last_activity",
        "expires_at",
        "token_hint",
    ]
    list_filter = ["status", "channel"]
    search_fields = ["=phone", "=customer_id"]
    date_hierarchy = "created_at"
    ordering = ["-last_activity"]
    show_full_result_count = False
    list_per_page = 50
    fields = [
        "session_id",
        "customer_id",
        "phone",
        "channel",
        "status",
        "token_hint",
        "created_at",
        "last_activity",
        "expires_at",
        "metadata",
    ]
    # Only metadata is edited by hand; status changes go through the actions so
    # the one-active-session-per-phone rule and the services stay in charge.
    readonly_fields = [f for f in fields if f != "metadata"]
    actions = ["end_sessions", "expire_sessions"]

    @admin.display(description="token")
    def token_hint(self, obj: CustomerSession) -> str:
        return obj.token_hint

    def has_add_permission(self, request):
        return False  # sessions are started by channels through the API

    def get_search_results(self, request, queryset, search_term):
        """Also find a phone typed in any notation (``+91 98765-43210``)."""
        with contextlib.suppress(ValidationError):
            search_term = phone_normalize(search_term)
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description="End selected sessions (log out)")
    def end_sessions(self, request, queryset):
        count = services.customer_sessions_set_status(
            session_ids=queryset.values("pk"), status=CustomerSession.Status.LOGGED_OUT
        )
        self.message_user(request, f"Logged out {count} active session(s).", messages.SUCCESS)

    @admin.action(description="Expire selected sessions")
    def expire_sessions(self, request, queryset):
        count = services.customer_sessions_set_status(
            session_ids=queryset.values("pk"), status=CustomerSession.Status.EXPIRED
        )
        self.message_user(request, f"Expired {count} active session(s).", messages.SUCCESS)
