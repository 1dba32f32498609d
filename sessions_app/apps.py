from django.apps import AppConfig


class SessionsAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sessions_app"

    def ready(self):
        from django.core import checks

        from sessions_app.checks import check_supabase_url

        checks.register(check_supabase_url)
