"""Signal receivers of the admin panel (infrastructure only)."""

from typing import Any

from django.apps import AppConfig

from admin_panel.services import analyst_group_grant_view_permissions


def analyst_group_after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """``post_migrate``: the analyst group may view the models of ``sender`` (runs after
    Django has created that app's permissions)."""
    if using != "default":
        return
    analyst_group_grant_view_permissions(app_label=sender.label)
