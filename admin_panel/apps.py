from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class AdminPanelConfig(AppConfig):
    """The admin as the management and analytics panel: dashboard, health, staff roles."""

    default = True
    default_auto_field = "django.db.models.BigAutoField"
    name = "admin_panel"
    verbose_name = "Operations"

    def ready(self) -> None:
        from admin_panel.signals import analyst_group_after_migrate

        # After each app's migrations: analysts may view that app's models too.
        post_migrate.connect(analyst_group_after_migrate, dispatch_uid="admin_panel.analyst")


class PanelAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with our site (dashboard on the index page) as ``admin.site``."""

    default = False  # named explicitly in INSTALLED_APPS
    default_site = "admin_panel.sites.PanelAdminSite"
