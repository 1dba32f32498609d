from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommonConfig(AppConfig):
    """Shared infrastructure: errors, parsing, health checks, API keys, Supabase hardening."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "common"

    def ready(self) -> None:
        from common.supabase import enable_rls_after_migrate

        # Infrastructure, not business logic: after every migrate, close the
        # project's tables to Supabase's Data API unless a policy opens them.
        post_migrate.connect(enable_rls_after_migrate, sender=self, dispatch_uid="common.rls")
