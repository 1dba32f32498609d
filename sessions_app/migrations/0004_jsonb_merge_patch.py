"""PostgreSQL: the ``jsonb_merge_patch(jsonb, jsonb)`` function (RFC 7396) with which
``POST /session/update`` merges a customer's metadata patch in its single UPDATE
(``common.db_functions.JSONMergePatch``). SQLite has ``json_patch()`` built in."""

from django.db import migrations

from common.db_functions import JSONB_MERGE_PATCH_DROP_SQL, JSONB_MERGE_PATCH_SQL


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JSONB_MERGE_PATCH_SQL)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(JSONB_MERGE_PATCH_DROP_SQL)


class Migration(migrations.Migration):
    dependencies = [("sessions_app", "0003_user_sessions_postgres_and_supabase")]

    operations = [migrations.RunPython(create_function, drop_function, elidable=False)]
