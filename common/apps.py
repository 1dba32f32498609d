from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Shared infrastructure: errors, parsing, health checks, API-key commands."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "common"
