"""``manage.py set_statement_timeout``: the statement timeout as a role setting."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper


def role_statement_timeout_sql(connection: BaseDatabaseWrapper, *, seconds: float | None) -> str:
    """``ALTER ROLE CURRENT_USER IN DATABASE <this database> SET|RESET statement_timeout``.

    A role-and-database setting is applied by the server to every session it opens
    for this role in this database, whichever client or pooler opened it; a
    transaction pooler (Supabase's port 6543, PgBouncer ``pool_mode=transaction``)
    passes no startup ``options`` and shares server sessions between clients, so
    this is where the timeout has to live there (PostgreSQL docs, ``ALTER ROLE``:
    "ordinary roles can only set defaults for themselves").

    Args:
        seconds: the timeout (0: none), or None to remove the setting.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        database = connection.ops.quote_name(cursor.fetchone()[0])
    prefix = f"ALTER ROLE CURRENT_USER IN DATABASE {database}"
    if seconds is None:
        return f"{prefix} RESET statement_timeout"
    return f"{prefix} SET statement_timeout = {round(seconds * 1000):d}"


class Command(BaseCommand):
    help = (
        "Store the statement timeout (DATABASE_STATEMENT_TIMEOUT, or --seconds) as a "
        "setting of the connecting role in this database, so that sessions opened by a "
        "transaction pooler get it too. Run it once per database over any connection. "
        "--reset removes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="default", help="database alias")
        parser.add_argument("--seconds", type=float, default=None)
        parser.add_argument("--reset", action="store_true")

    def handle(
        self, *args: Any, database: str, seconds: float | None, reset: bool, **options: Any
    ) -> None:
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Only PostgreSQL has role settings.")
        value = (
            None if reset else (settings.DATABASE_STATEMENT_TIMEOUT if seconds is None else seconds)
        )
        if value is not None and value < 0:
            raise CommandError("--seconds must be 0 (no limit) or more.")
        with connection.cursor() as cursor:
            cursor.execute(role_statement_timeout_sql(connection, seconds=value))
        if value is None:
            self.stdout.write(
                "statement_timeout role setting removed; new sessions use the server's."
            )
        else:
            self.stdout.write(
                f"statement_timeout = {value:g} s for new sessions of this role in this database."
            )
