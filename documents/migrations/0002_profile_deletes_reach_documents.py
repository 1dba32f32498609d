"""On PostgreSQL, the foreign keys to ``user_profiles`` act in the database too.

Django emulates ``on_delete`` in Python, so its constraints have no ON DELETE
action. On Supabase a profile row is removed by the database itself when the
auth user is deleted (``auth.users`` → ``user_profiles`` ON DELETE CASCADE);
without database-side actions that deletion would fail on these keys. So:
``documents.user_id`` → ON DELETE SET NULL (the document and its OpenAI file
stay, ownerless, for an admin to handle), ``document_access.user_id`` → ON
DELETE CASCADE, ``document_access.granted_by`` → ON DELETE SET NULL. The
constraints stay DEFERRABLE INITIALLY DEFERRED as Django makes them.
"""

from django.db import migrations

FOREIGN_KEYS = [
    # table, column, constraint name, action
    ("documents", "user_id", "documents_user_id_profiles_fk", "SET NULL"),
    ("document_access", "user_id", "document_access_user_id_profiles_fk", "CASCADE"),
    ("document_access", "granted_by", "document_access_granted_by_profiles_fk", "SET NULL"),
]


def _replace(schema_editor, action_of) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, column, name, action in FOREIGN_KEYS:
            cursor.execute(
                """
                SELECT c.conname FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                WHERE c.contype = 'f' AND c.conrelid = %s::regclass AND a.attname = %s
                """,
                [table, column],
            )
            for (existing,) in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{existing}"')
            cursor.execute(
                f"ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({column}) "
                f"REFERENCES user_profiles(id) {action_of(action)} "
                "DEFERRABLE INITIALLY DEFERRED"
            )
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def forward(apps, schema_editor):
    _replace(schema_editor, lambda action: f"ON DELETE {action}")


def backward(apps, schema_editor):
    _replace(schema_editor, lambda action: "")


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0001_initial"),
        ("sessions_app", "0003_user_sessions_postgres_and_supabase"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
