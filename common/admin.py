"""django-axes' login-lockout records in the admin, with its one action gated.

Axes registers ``AccessAttempt`` (failed logins per username and IP, and who is
locked out: delete a row to lift a lockout), ``AccessLog`` and
``AccessFailureLog``. Its "clean up expired attempts" action deletes rows but
states no permission, so a view-only account could run it; here it needs the
delete permission like Django's own "delete selected".
"""

from axes.admin import AccessAttemptAdmin as _AccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)

    @admin.register(AccessAttempt)
    class AccessAttemptAdmin(_AccessAttemptAdmin):
        """Axes' admin; its clean-up action needs the delete permission."""

        @admin.action(description="Clean up expired attempts", permissions=["delete"])
        def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet) -> None:
            super().cleanup_expired_attempts(request, queryset)
