"""The admin site: Django's, with the dashboard on its index page."""

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from admin_panel.selectors.dashboard import dashboard_figures
from admin_panel.selectors.health import (
    command_statuses,
    database_health,
    pending_migrations,
    server_errors,
)
from admin_panel.selectors.openai_status import openai_status


class PanelAdminSite(admin.AdminSite):
    """``admin.site`` of this project (installed through ``PanelAdminConfig``).

    The index page (``templates/admin/index.html``) shows the dashboard: figures,
    charts (Chart.js from our static files, data in ``json_script``, no inline
    script) and health; the model list follows below it.
    """

    site_header = "Retail backend administration"
    site_title = "Retail backend admin"
    index_title = "Management and analytics"

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        """The dashboard: a fixed number of queries whatever the table sizes."""
        dashboard = dashboard_figures()
        context = {
            "dashboard": dashboard,
            "dashboard_charts": dashboard.charts,
            "db_health": database_health(),
            "pending_migrations": pending_migrations(),
            "command_statuses": command_statuses(),
            "server_errors": server_errors(),
            "openai": openai_status(),
            **(extra_context or {}),
        }
        return super().index(request, extra_context=context)
