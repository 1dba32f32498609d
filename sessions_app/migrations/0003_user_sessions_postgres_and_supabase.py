"""Database-side parts of ``user_sessions`` that Django's model state cannot express.

On every PostgreSQL database:
- ``user_sessions.id DEFAULT gen_random_uuid()`` (the original SQL's
  ``uuid_generate_v4()`` without the uuid-ossp extension) so other SQL clients
  can insert rows;
- a BEFORE UPDATE trigger that keeps ``updated_at`` current for writers
  outside Django (Supabase's PostgREST API, the SQL editor).

On a Supabase database only (schema ``auth`` with table ``auth.users`` present):
- ``user_sessions.user_id`` and ``user_profiles.id`` reference ``auth.users(id)
  ON DELETE CASCADE``;
- row-level security on ``user_sessions`` with the original four policies, and on
  ``user_profiles`` a read-own-row policy (no write policy: a user must not be
  able to change their own role through the Data API).

SQLite and PostgreSQL without ``auth`` get nothing of the second part; every
statement is idempotent, so ``supabase_security_apply`` can be run again (for
example after linking an existing database to Supabase). The SQL itself is
built by ``common.supabase``.
"""

from django.db import migrations

from common.supabase import (
    auth_users_foreign_key_sql,
    execute_on_supabase,
    grant_if_role_exists_sql,
    rls_policies_remove_sql,
    rls_policies_sql,
    updated_at_trigger_remove_sql,
    updated_at_trigger_sql,
)


POSTGRES_FORWARD = [
    "ALTER TABLE user_sessions ALTER COLUMN id SET DEFAULT gen_random_uuid()",
    *updated_at_trigger_sql("user_sessions"),
]

POSTGRES_BACKWARD = [
    *updated_at_trigger_remove_sql("user_sessions"),
    "ALTER TABLE user_sessions ALTER COLUMN id DROP DEFAULT",
]

_OWN_OR_SERVICE = "(auth.uid() = user_id OR auth.role() = 'service_role')"

# (name, statement) pairs; policies are dropped first so a re-run replaces them.
SESSION_POLICIES = [
    (
        "Users can view their own sessions",
        f"FOR SELECT USING {_OWN_OR_SERVICE}",
    ),
    (
        "Users can create their own sessions",
        f"FOR INSERT WITH CHECK {_OWN_OR_SERVICE}",
    ),
    (
        "Users can update their own sessions",
        f"FOR UPDATE USING {_OWN_OR_SERVICE}",
    ),
    (
        "Service role can manage all sessions",
        "FOR ALL USING (auth.role() = 'service_role')",
    ),
]
PROFILE_POLICIES = [
    (
        "Users can view their own profile",
        "FOR SELECT USING (auth.uid() = id OR auth.role() = 'service_role')",
    ),
]

# ON DELETE CASCADE from auth.users; added only when missing (idempotent).
AUTH_FOREIGN_KEYS = [
    ("user_sessions", "user_sessions_user_id_auth_users_fk", "user_id"),
    ("user_profiles", "user_profiles_id_auth_users_fk", "id"),
]


TABLE_POLICIES = (("user_sessions", SESSION_POLICIES), ("user_profiles", PROFILE_POLICIES))


def supabase_security_statements() -> list[str]:
    """The Supabase-only statements, in order (all idempotent)."""
    statements = [auth_users_foreign_key_sql(*fk) for fk in AUTH_FOREIGN_KEYS]
    for table, policies in TABLE_POLICIES:
        statements += rls_policies_sql(table, policies)
    # SELECT alone would not do: the insert/update policies need the matching grants.
    statements.append(
        grant_if_role_exists_sql("authenticated", "SELECT, INSERT, UPDATE", "user_sessions")
    )
    statements.append(grant_if_role_exists_sql("authenticated", "SELECT", "user_profiles"))
    statements.append(grant_if_role_exists_sql("service_role", "ALL", "user_sessions"))
    statements.append(grant_if_role_exists_sql("service_role", "ALL", "user_profiles"))
    return statements


def supabase_security_remove_statements() -> list[str]:
    """Undo ``supabase_security_statements`` (all idempotent)."""
    statements = []
    for table, policies in TABLE_POLICIES:
        statements += rls_policies_remove_sql(table, policies)
    statements += [
        f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
        for table, name, _ in AUTH_FOREIGN_KEYS
    ]
    return statements


def supabase_security_apply(connection):
    """Add the auth.users foreign keys and the RLS policies when ``auth`` exists.

    Returns: True when applied, False when skipped (SQLite, or PostgreSQL without
    ``auth.users``). Safe to call again.
    """
    return execute_on_supabase(connection, supabase_security_statements())


def supabase_security_remove(connection):
    """Reverse of ``supabase_security_apply``; False when there is nothing to do."""
    return execute_on_supabase(connection, supabase_security_remove_statements())


def forward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for statement in POSTGRES_FORWARD:
            cursor.execute(statement)
    supabase_security_apply(connection)


def backward(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    supabase_security_remove(connection)
    with connection.cursor() as cursor:
        for statement in POSTGRES_BACKWARD:
            cursor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("sessions_app", "0002_user_profiles_user_sessions"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
