"""Database-side parts of seed 004 that Django's model state cannot express.

On every PostgreSQL database:
- ``user_sessions.id DEFAULT gen_random_uuid()`` (the seed's ``uuid_generate_v4()``
  without the uuid-ossp extension) so other SQL clients can insert rows;
- the seed's BEFORE UPDATE trigger that keeps ``updated_at`` current for writers
  outside Django (Supabase's PostgREST API, the SQL editor).

On a Supabase database only (schema ``auth`` with table ``auth.users`` present):
- ``user_sessions.user_id`` and ``user_profiles.id`` reference ``auth.users(id)
  ON DELETE CASCADE``;
- row-level security on ``user_sessions`` with the seed's four policies, and on
  ``user_profiles`` a read-own-row policy (no write policy: a user must not be
  able to change their own role through the Data API).

SQLite and PostgreSQL without ``auth`` get nothing of the second part; every
statement is idempotent, so ``supabase_security_apply`` can be run again (for
example after linking an existing database to Supabase).
"""

from django.db import migrations

from common.supabase import has_supabase_auth


POSTGRES_FORWARD = [
    "ALTER TABLE user_sessions ALTER COLUMN id SET DEFAULT gen_random_uuid()",
    """
    CREATE OR REPLACE FUNCTION update_user_sessions_updated_at_column()
    RETURNS TRIGGER AS $$
    BEGIN
      -- statement_timestamp(), not the seed's NOW() (the transaction's start), so
      -- two updates in one transaction differ, as Django's Now() does.
      NEW.updated_at = statement_timestamp();
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS update_user_sessions_updated_at ON user_sessions",
    """
    CREATE TRIGGER update_user_sessions_updated_at
      BEFORE UPDATE ON user_sessions
      FOR EACH ROW EXECUTE FUNCTION update_user_sessions_updated_at_column()
    """,
]

POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS update_user_sessions_updated_at ON user_sessions",
    "DROP FUNCTION IF EXISTS update_user_sessions_updated_at_column()",
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


def _add_fk_sql(table: str, name: str, column: str) -> str:
    return f"""
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{name}') THEN
        ALTER TABLE {table} ADD CONSTRAINT {name}
          FOREIGN KEY ({column}) REFERENCES auth.users(id) ON DELETE CASCADE;
      END IF;
    END $$
    """


def _grant_if_role_exists(role: str, privileges: str, table: str) -> str:
    return f"""
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
        GRANT {privileges} ON {table} TO {role};
      END IF;
    END $$
    """


def supabase_security_statements() -> list[str]:
    """The Supabase-only statements, in order (all idempotent)."""
    statements = [_add_fk_sql(*fk) for fk in AUTH_FOREIGN_KEYS]
    for table, policies in (("user_sessions", SESSION_POLICIES), ("user_profiles", PROFILE_POLICIES)):
        statements.append(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        for name, body in policies:
            statements.append(f'DROP POLICY IF EXISTS "{name}" ON {table}')
            statements.append(f'CREATE POLICY "{name}" ON {table} {body}')
    # The seed grants SELECT; its insert/update policies need the matching grants.
    statements.append(
        _grant_if_role_exists("authenticated", "SELECT, INSERT, UPDATE", "user_sessions")
    )
    statements.append(_grant_if_role_exists("authenticated", "SELECT", "user_profiles"))
    statements.append(_grant_if_role_exists("service_role", "ALL", "user_sessions"))
    statements.append(_grant_if_role_exists("service_role", "ALL", "user_profiles"))
    return statements


def supabase_security_remove_statements() -> list[str]:
    """Undo ``supabase_security_statements`` (all idempotent)."""
    statements = []
    for table, policies in (("user_sessions", SESSION_POLICIES), ("user_profiles", PROFILE_POLICIES)):
        statements += [f'DROP POLICY IF EXISTS "{name}" ON {table}' for name, _ in policies]
        statements.append(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    statements += [
        f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
        for table, name, _ in AUTH_FOREIGN_KEYS
    ]
    return statements


def _execute_all(connection, statements: list[str]) -> None:
    # ALTER TABLE refuses to run while deferred foreign-key checks (Django's are
    # DEFERRABLE INITIALLY DEFERRED) are pending in the transaction; fire them
    # first and defer again afterwards, as Django's schema editor does.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def supabase_security_apply(connection) -> bool:
    """Add the auth.users foreign keys and the RLS policies when ``auth`` exists.

    Returns: True when applied, False when skipped (SQLite, or PostgreSQL without
    ``auth.users``). Safe to call again.
    """
    if not has_supabase_auth(connection):
        return False
    _execute_all(connection, supabase_security_statements())
    return True


def supabase_security_remove(connection) -> bool:
    """Reverse of ``supabase_security_apply``; False when there is nothing to do."""
    if not has_supabase_auth(connection):
        return False
    _execute_all(connection, supabase_security_remove_statements())
    return True


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
