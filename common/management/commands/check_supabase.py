"""``manage.py check_supabase``: what Supabase's Data API roles can reach past RLS."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from common.supabase import has_supabase_auth, supabase_exposures


class Command(BaseCommand):
    help = (
        "On a Supabase database: list every table in public without row-level security, "
        "every policy for anon/authenticated the project did not create, every way those "
        "roles bypass RLS (role attributes, memberships, owner-rights views). Exits 1 when "
        "it finds any, 0 when none (or when this is not a Supabase database)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="database alias")

    def handle(self, *args: Any, database: str, **options: Any) -> None:
        if not has_supabase_auth(connections[database]):
            self.stdout.write("No auth.users table: not a Supabase database, nothing to check.")
            return
        exposures = supabase_exposures(using=database)
        for exposure in exposures:
            self.stdout.write(str(exposure))
        if exposures:
            raise CommandError(
                f"{len(exposures)} exposure(s) to the Data API roles; "
                "`manage.py supabase_secure` enables RLS on the project's tables."
            )
        self.stdout.write("Supabase: no table, policy, role or view exposes data past RLS.")
