"""Supabase hardening for the tables this project owns.

Supabase serves every table of the ``public`` schema through its Data API
(PostgREST) to the ``anon`` and ``authenticated`` roles, and a table without
row-level security is readable by anyone holding the project's anon key
(Supabase docs, "Row Level Security": "RLS must always be enabled on any tables
stored in an exposed schema"). Django creates its tables in ``public``: customer
session tokens, API-key hashes, password hashes, usage and cost. So on a
Supabase database every table Django manages gets RLS enabled. A table without
a policy is then closed to ``anon``/``authenticated``; the tables whose rows
users may read have their own policies (``sessions_app`` migration 0003).
Django itself connects as the tables' owner, which RLS does not restrict.

The SQL builders below are what migrations use for the database-side parts
Django's model state cannot express (auth.users foreign keys, RLS policies,
grants to Supabase's roles, ``updated_at`` triggers). Every statement is
idempotent, so a migration can apply them again (for example after linking an
existing database to Supabase).
"""

import importlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

# A row-level-security policy: (name, the text after ``CREATE POLICY "<name>" ON <table>``),
# e.g. ("Users can view their own sessions", "FOR SELECT USING (auth.uid() = user_id)").
Policy = tuple[str, str]

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _identifiers(*names: str) -> None:
    """The builders put names into SQL text (DDL takes no parameters): only plain
    lower-case identifiers written in migrations are accepted."""
    for name in names:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"not a plain SQL identifier: {name!r}")


AUTH_USERS_EXISTS = "SELECT to_regclass('auth.users') IS NOT NULL"


def has_supabase_auth(connection: BaseDatabaseWrapper) -> bool:
    """True on PostgreSQL when the ``auth.users`` table (Supabase Auth) exists."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(AUTH_USERS_EXISTS)
        row = cursor.fetchone()
        return bool(row and row[0])


def auth_users_foreign_key_sql(table: str, name: str, column: str) -> str:
    """``table.column`` REFERENCES ``auth.users(id) ON DELETE CASCADE`` as constraint
    ``name``, added only when missing (Supabase: deleting a user deletes their rows)."""
    _identifiers(table, name, column)
    return f"""
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = '{name}') THEN
        ALTER TABLE {table} ADD CONSTRAINT {name}
          FOREIGN KEY ({column}) REFERENCES auth.users(id) ON DELETE CASCADE;
      END IF;
    END $$
    """  # noqa: S608 (identifiers checked above)


def grant_if_role_exists_sql(role: str, privileges: str, table: str) -> str:
    """``GRANT <privileges> ON <table> TO <role>`` when the role exists (Supabase's
    ``authenticated`` and ``service_role``; absent on other PostgreSQL)."""
    _identifiers(role, table)
    return f"""
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
        GRANT {privileges} ON {table} TO {role};
      END IF;
    END $$
    """  # noqa: S608 (identifiers checked above)


def rls_policies_sql(table: str, policies: Iterable[Policy]) -> list[str]:
    """Enable row-level security on ``table`` and (re)create its ``policies``
    (each dropped first, so a re-run replaces it)."""
    statements = [f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"]
    for name, body in policies:
        statements.append(f'DROP POLICY IF EXISTS "{name}" ON {table}')
        statements.append(f'CREATE POLICY "{name}" ON {table} {body}')
    return statements


def rls_policies_remove_sql(table: str, policies: Iterable[Policy]) -> list[str]:
    """Undo ``rls_policies_sql``: drop the policies, disable row-level security."""
    statements = [f'DROP POLICY IF EXISTS "{name}" ON {table}' for name, _ in policies]
    statements.append(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    return statements


def updated_at_trigger_sql(table: str) -> list[str]:
    """A BEFORE UPDATE trigger keeping ``table.updated_at`` current for writers
    outside Django (Supabase's Data API, the SQL editor): function
    ``update_<table>_updated_at_column()``, trigger ``update_<table>_updated_at``."""
    return [
        f"""
    CREATE OR REPLACE FUNCTION update_{table}_updated_at_column()
    RETURNS TRIGGER AS $$
    BEGIN
      -- statement_timestamp(), not NOW() (the transaction's start), so two
      -- updates in one transaction differ, as Django's Now() does.
      NEW.updated_at = statement_timestamp();
      RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
    """,
        f"DROP TRIGGER IF EXISTS update_{table}_updated_at ON {table}",
        f"""
    CREATE TRIGGER update_{table}_updated_at
      BEFORE UPDATE ON {table}
      FOR EACH ROW EXECUTE FUNCTION update_{table}_updated_at_column()
    """,
    ]


def updated_at_trigger_remove_sql(table: str) -> list[str]:
    """Undo ``updated_at_trigger_sql``."""
    return [
        f"DROP TRIGGER IF EXISTS update_{table}_updated_at ON {table}",
        f"DROP FUNCTION IF EXISTS update_{table}_updated_at_column()",
    ]


def execute_with_immediate_constraints(
    connection: BaseDatabaseWrapper, statements: Sequence[str]
) -> None:
    """Run ``statements`` in order with foreign-key checks made immediate first.

    ALTER TABLE refuses to run while deferred foreign-key checks (Django's are
    DEFERRABLE INITIALLY DEFERRED) are pending in the transaction; they are
    fired first and deferred again afterwards, as Django's schema editor does.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def execute_on_supabase(connection: BaseDatabaseWrapper, statements: Sequence[str]) -> bool:
    """Run the Supabase-only ``statements`` when ``auth.users`` exists.

    Returns: True when run, False when skipped (SQLite, or PostgreSQL without
    Supabase Auth).
    """
    if not has_supabase_auth(connection):
        return False
    execute_with_immediate_constraints(connection, statements)
    return True


def supabase_tables_enable_rls(*, using: str = "default") -> list[str]:
    """Enable row-level security on every project table that does not have it yet.

    Runs only on a Supabase database (``auth.users`` present); elsewhere it does
    nothing. Idempotent: existing policies and already-protected tables stay as
    they are. Called after every ``migrate`` (``post_migrate``), so tables added
    by later migrations are covered too.

    Returns: the names of the tables it changed (empty when nothing to do).
    """
    connection = connections[using]
    if not has_supabase_auth(connection):
        return []
    tables = set(connection.introspection.django_table_names(only_existing=True))
    tables.add("django_migrations")
    quote = connection.ops.quote_name
    changed = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' AND NOT c.relrowsecurity "
            "AND c.relname = ANY(%s)",
            [sorted(tables)],
        )
        for (table,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
            changed.append(table)
    return sorted(changed)


def enable_rls_after_migrate(
    sender: Any,
    using: str = "default",
    verbosity: int = 1,
    stdout: Any = None,
    **kwargs: Any,
) -> None:
    """``post_migrate`` receiver: ``supabase_tables_enable_rls``, then say what changed
    on migrate's output."""
    changed = supabase_tables_enable_rls(using=using)
    if changed and verbosity and stdout is not None:
        stdout.write(
            f"Supabase: row-level security enabled on {len(changed)} table(s): "
            + ", ".join(changed)
        )


# --- Exposure check ---------------------------------------------------------
# The roles Supabase's Data API (PostgREST) runs a request as, by the key it holds.
DATA_API_ROLES = ("anon", "authenticated")

# Policies the project itself creates (table, policy name); any other policy that
# applies to a Data API role is reported.
_POLICIES_MIGRATION = "sessions_app.migrations.0003_user_sessions_postgres_and_supabase"


@dataclass(frozen=True)
class Exposure:
    """One way the Data API roles can read or write past row-level security.

    ``kind``: ``rls_disabled`` (a table in the exposed schema without RLS; Supabase
    database lint 0013), ``extra_policy`` (a policy for ``anon``/``authenticated``
    or for every role that the project did not create), ``role_bypasses_rls`` (the
    role is a superuser, has BYPASSRLS, or is a member of a role that has it or owns
    a table: owners are exempt from RLS), ``view_bypasses_rls`` (a view the role may
    read that runs with its owner's rights, not ``security_invoker``; lint 0010).
    """

    kind: str
    name: str
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.name} ({self.detail})"


def _designed_policies() -> set[tuple[str, str]]:
    migration = importlib.import_module(_POLICIES_MIGRATION)
    return {(table, name) for table, policies in migration.TABLE_POLICIES for name, _ in policies}


_TABLES_WITHOUT_RLS = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
ORDER BY 1
"""
_POLICIES_FOR_DATA_API = """
SELECT tablename, policyname, array_to_string(roles, ',') FROM pg_policies
WHERE schemaname = 'public' AND roles && %s::name[]
ORDER BY 1, 2
"""
_ROLES_BYPASSING = """
SELECT r.rolname, b.rolname,
       CASE WHEN b.rolsuper THEN 'superuser' WHEN b.rolbypassrls THEN 'BYPASSRLS'
            ELSE 'owns tables in public' END
FROM pg_roles r CROSS JOIN pg_roles b
WHERE r.rolname = ANY(%s)
  AND pg_has_role(r.oid, b.oid, 'USAGE')
  AND (b.rolsuper OR b.rolbypassrls OR EXISTS (
        SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relowner = b.oid))
ORDER BY 1, 2
"""
_VIEWS_BYPASSING = """
SELECT c.relname, r.rolname FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN pg_roles r
WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm') AND r.rolname = ANY(%s)
  AND has_table_privilege(r.oid, c.oid, 'SELECT')
  AND NOT coalesce('security_invoker=true' = ANY(c.reloptions)
                   OR 'security_invoker=on' = ANY(c.reloptions), false)
ORDER BY 1, 2
"""


def supabase_exposures(*, using: str = "default") -> list[Exposure]:
    """What the Data API roles (``anon``, ``authenticated``) can reach past RLS.

    Reads the catalogs only (four queries). Checks every table and view in the
    ``public`` schema, also ones created outside ``migrate`` (a data load, tables
    adopted from the SQL editor): Supabase serves that whole schema.

    Returns: the exposures found, empty on a safe database and on a database
    without Supabase Auth (nothing serves it to those roles).
    """
    connection = connections[using]
    if not has_supabase_auth(connection):
        return []
    roles = list(DATA_API_ROLES)
    designed = _designed_policies()
    found: list[Exposure] = []
    with connection.cursor() as cursor:
        cursor.execute(_TABLES_WITHOUT_RLS)
        found += [
            Exposure("rls_disabled", table, "row-level security is off")
            for (table,) in cursor.fetchall()
        ]
        cursor.execute(_POLICIES_FOR_DATA_API, [[*roles, "public"]])
        found += [
            Exposure("extra_policy", f"{table}.{policy}", f"applies to {policy_roles}")
            for table, policy, policy_roles in cursor.fetchall()
            if (table, policy) not in designed
        ]
        cursor.execute(_ROLES_BYPASSING, [roles])
        found += [
            Exposure("role_bypasses_rls", role, f"member of {other}: {why}")
            for role, other, why in cursor.fetchall()
        ]
        cursor.execute(_VIEWS_BYPASSING, [roles])
        found += [
            Exposure("view_bypasses_rls", view, f"{role} may read it; runs as its owner")
            for view, role in cursor.fetchall()
        ]
    return found
