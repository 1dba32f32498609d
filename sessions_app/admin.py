"""Admin for customer sessions (tokens are never shown in full), user profiles
(list, search, role change) and user sessions (filters, end selected)."""

import contextlib
import uuid

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.core.exceptions import ValidationError

from common.parsers import json_check_storable
from common.phones import phone_normalize
from sessions_app import services
from sessions_app.models import CustomerSession, UserProfile, UserSession


class CustomerSessionForm(forms.ModelForm):
    """The admin's edit form: ``metadata`` stays a JSON object the database can
    store (the API's rule, ``POST /session/update``)."""

    class Meta:
        model = CustomerSession
        fields = ["metadata"]

    def clean_metadata(self):
        value = self.cleaned_data["metadata"]
        if not isinstance(value, dict):
            raise ValidationError("Metadata must be a JSON object, e.g. {}.")
        try:
            json_check_storable(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc
        return value


@admin.register(CustomerSession)
class CustomerSessionAdmin(admin.ModelAdmin):
    """List, filter and end customer sessions. The token field is excluded from
    every page and from URL lookups; ``token_hint`` shows its first characters
    only."""

    form = CustomerSessionForm

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
    readonly_fields = tuple(str(f) for f in fields if f != "metadata")
    actions = ["end_sessions", "expire_sessions"]

    @admin.display(description="token")
    def token_hint(self, obj: CustomerSession) -> str:
        return obj.token_hint

    def has_add_permission(self, request):
        return False  # sessions are started by channels through the API

    def lookup_allowed(self, lookup, value, request=None):
        """Refuse URL filters on the token: ``?session_token__startswith=ab`` would
        let staff recover a token a character at a time."""
        if lookup.split("__", 1)[0] == "session_token":
            raise DisallowedModelAdminLookup(f"Filtering by {lookup} is not allowed.")
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        """Also find a phone typed in any notation (``+91 98765-43210``)."""
        with contextlib.suppress(ValidationError):
            search_term = phone_normalize(search_term)
        return super().get_search_results(request, queryset, search_term)

    @admin.action(description="End selected sessions (log out)", permissions=["change"])
    def end_sessions(self, request, queryset):
        count = services.customer_sessions_set_status(
            session_ids=queryset.values("pk"), status=CustomerSession.Status.LOGGED_OUT
        )
        self.message_user(request, f"Logged out {count} active session(s).", messages.SUCCESS)

    @admin.action(description="Expire selected sessions", permissions=["change"])
    def expire_sessions(self, request, queryset):
        count = services.customer_sessions_set_status(
            session_ids=queryset.values("pk"), status=CustomerSession.Status.EXPIRED
        )
        self.message_user(request, f"Expired {count} active session(s).", messages.SUCCESS)


def _profile_search(queryset, search_term: str, *, prefix: str = ""):
    """Exact, index-served matches for a user id, an email (or its start) or a phone.

    Returns the filtered queryset, or None when ``search_term`` is none of those.
    """
    term = search_term.strip()
    if not term:
        return None
    with contextlib.suppress(ValueError):
        return queryset.filter(**{f"{prefix}id" if prefix else "id": uuid.UUID(term)})
    if term.startswith("+") or term.replace(" ", "").replace("-", "").isdigit():
        with contextlib.suppress(ValidationError):
            return queryset.filter(**{f"{prefix}phone": phone_normalize(term)})
    return queryset.filter(**{f"{prefix}email__startswith": term.lower()})


@admin.register(UserProfile)
class UserProfileAdmin(admin.ModelAdmin):
    """Signed-in app users. Search by user id, email (or its beginning) or phone in any
    notation; filter by role and registration source; change the role on the change
    page or with the actions. Profiles are created by the users' first request."""

    list_display = [
        "email",
        "phone",
        "id",
        "role",
        "registration_source",
        "created_at",
        "last_seen_at",
    ]
    list_filter = ["role", "registration_source"]
    search_fields = ["email"]  # replaced by _profile_search (index-served lookups)
    search_help_text = "User id, email (or its beginning), or phone."
    ordering = ["-created_at"]
    show_full_result_count = False
    list_per_page = 50
    fields = [
        "id",
        "email",
        "phone",
        "role",
        "registration_source",
        "created_at",
        "last_seen_at",
    ]
    readonly_fields = tuple(str(f) for f in fields if f != "role")
    actions = ["make_admin", "make_user"]

    def has_add_permission(self, request):
        return False  # created from the user's first authenticated request

    def get_search_results(self, request, queryset, search_term):
        found = _profile_search(queryset, search_term)
        return (queryset, False) if found is None else (found, False)

    def save_model(self, request, obj, form, change):
        """Role changes go through the service (the only editable field)."""
        if change and "role" in form.changed_data:
            services.user_profiles_set_role(user_ids=[obj.pk], role=obj.role)

    @admin.action(description="Make selected users admins", permissions=["change"])
    def make_admin(self, request, queryset):
        count = services.user_profiles_set_role(
            user_ids=queryset.values("pk"), role=UserProfile.Role.ADMIN
        )
        self.message_user(request, f"{count} user(s) are now admins.", messages.SUCCESS)

    @admin.action(description="Make selected users regular users", permissions=["change"])
    def make_user(self, request, queryset):
        count = services.user_profiles_set_role(
            user_ids=queryset.values("pk"), role=UserProfile.Role.USER
        )
        self.message_user(request, f"{count} user(s) are now regular users.", messages.SUCCESS)


@admin.register(UserSession)
class UserSessionAdmin(admin.ModelAdmin):
    """Users' platform sessions: platform, status, duration, last heartbeat; filters by
    platform, status and end reason; search by session id, user id, email or phone;
    action to end selected sessions (end reason ``manual``). Read-only otherwise:
    sessions are written by the apps through the API and by the commands."""

    list_display = [
        "session_id",
        "user_email",
        "platform",
        "status",
        "duration",
        "activity_count",
        "started_at",
        "last_heartbeat_at",
        "end_reason",
    ]
    list_filter = ["platform", "status", "end_reason"]
    list_select_related = ["user"]
    search_fields = ["session_id"]  # extended in get_search_results
    search_help_text = "Session id, user id, user email (or its beginning), or phone."
    ordering = ["-started_at"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["end_selected"]
    readonly_fields = [
        "id",
        "user",
        "session_id",
        "platform",
        "status",
        "end_reason",
        "started_at",
        "last_activity_at",
        "last_heartbeat_at",
        "ended_at",
        "total_duration_seconds",
        "activity_count",
        "device_info",
        "location_info",
        "user_agent",
        "ip_address",
        "created_at",
        "updated_at",
    ]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # view-only; the action ends sessions

    @admin.display(description="user", ordering="user__email")
    def user_email(self, obj: UserSession) -> str:
        return str(obj.user)

    @admin.display(description="duration", ordering="total_duration_seconds")
    def duration(self, obj: UserSession) -> str:
        """h:mm:ss of ``total_duration_seconds`` for ended sessions; "-" while live."""
        if obj.ended_at is None or obj.total_duration_seconds is None:
            return "-"
        hours, rest = divmod(obj.total_duration_seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        by_session = queryset.filter(session_id=term)
        if by_session.exists():
            return by_session, False
        found = _profile_search(queryset, term, prefix="user__")
        return (by_session if found is None else found), False

    def has_end_permission(self, request) -> bool:
        """The end action needs the change permission, which the form never uses."""
        return request.user.has_perm(f"{self.opts.app_label}.change_{self.opts.model_name}")

    @admin.action(description="End selected sessions (reason: manual)", permissions=["end"])
    def end_selected(self, request, queryset):
        count = services.user_sessions_end_selected(session_pks=queryset.values("pk"))
        self.message_user(request, f"Ended {count} live session(s).", messages.SUCCESS)
