from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommonConfig(AppConfig):
    """Shared infrastructure: errors, parsing, health checks, API keys, Supabase hardening."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "common"

    def ready(self) -> None:
        from django.core.signals import got_request_exception
        from django.db.models.signals import pre_migrate

        from common.adoption import copy_after_migrate, set_aside_before_migrate
        from common.middleware import note_uncaught_exception
        from common.supabase import enable_rls_after_migrate

        # The one log line per failed request needs the uncaught exception's traceback.
        got_request_exception.connect(note_uncaught_exception, dispatch_uid="common.errors")

        # Infrastructure, not business logic: after every migrate, close the
        # project's tables to Supabase's Data API unless a policy opens them.
        # Tables made by hand from the product's earlier SQL: set aside, then copied.
        pre_migrate.connect(set_aside_before_migrate, sender=self, dispatch_uid="common.adopt")
        post_migrate.connect(copy_after_migrate, sender=self, dispatch_uid="common.adopted")
        post_migrate.connect(enable_rls_after_migrate, sender=self, dispatch_uid="common.rls")
