"""The read-only "analyst" staff group: views every model, changes nothing.

Permissions of models that exist now are granted here; models added later get
their view permission after each migrate (``admin_panel.signals``).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "analyst"


def create_analyst_group(apps, schema_editor):
    # Permissions are normally created after migrate: create them now so that the
    # group gets every view permission on a fresh database too.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name=GROUP)
    group.permissions.add(*Permission.objects.filter(codename__startswith="view_"))


def delete_analyst_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("admin_panel", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("sessions_app", "0003_user_sessions_postgres_and_supabase"),
        ("interactions", "0002_db_defaults_for_seed_inserts"),
        ("usage", "0002_db_defaults_for_plain_inserts"),
    ]

    operations = [migrations.RunPython(create_analyst_group, delete_analyst_group)]
