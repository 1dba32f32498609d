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
"""

from django.db import connections

AUTH_USERS_EXISTS = "SELECT to_regclass('auth.users') IS NOT NULL"


def has_supabase_auth(connection) -> bool:
    """True on PostgreSQL when the ``auth.users`` table (Supabase Auth) exists."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(AUTH_USERS_EXISTS)
        return bool(cursor.fetchone()[0])


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


def enable_rls_after_migrate(sender, using="default", verbosity=1, stdout=None, **kwargs) -> None:
    """``post_migrate`` receiver: ``supabase_tables_enable_rls``, then say what changed
    on migrate's output."""
    changed = supabase_tables_enable_rls(using=using)
    if changed and verbosity and stdout is not None:
        stdout.write(
            f"Supabase: row-level security enabled on {len(changed)} table(s): "
            + ", ".join(changed)
        )
