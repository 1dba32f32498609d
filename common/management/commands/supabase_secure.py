"""``manage.py supabase_secure``: apply the Supabase-only security steps again."""

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction

from common.supabase import has_supabase_auth, supabase_tables_enable_rls

# The migration owns these steps (so a fresh `migrate` applies them); this command
# re-runs them for a database that was linked to Supabase after it was migrated.
USER_TABLES_MIGRATION = "sessions_app.migrations.0003_user_sessions_postgres_and_supabase"


class Command(BaseCommand):
    help = (
        "On a Supabase database (auth.users present): add the auth.users foreign keys and "
        "the user_sessions/user_profiles RLS policies, and enable row-level security on "
        "every project table. Idempotent. Fails on a database without Supabase Auth."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        connection = connections[database]
        if not has_supabase_auth(connection):
            raise CommandError("No auth.users table here: this is not a Supabase database.")
        migration = importlib.import_module(USER_TABLES_MIGRATION)
        with transaction.atomic(using=database):
            migration.supabase_security_apply(connection)
            changed = supabase_tables_enable_rls(using=database)
        self.stdout.write(
            "Supabase: auth.users foreign keys and user_sessions/user_profiles policies in "
            f"place; row-level security newly enabled on {len(changed)} table(s)."
        )
