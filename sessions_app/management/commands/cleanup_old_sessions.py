"""``manage.py cleanup_old_sessions``: delete user sessions that ended long ago, in batches."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from admin_panel.commands import RecordedCommand
from sessions_app.services import LOOKBACK_MAX_DAYS, user_sessions_delete_old

# Each batch is one short transaction and one DELETE … WHERE id IN (…) with this many
# parameters: far larger batches defeat the point, and a huge one overflowed LIMIT.
MAX_BATCH_SIZE = 10000


class Command(RecordedCommand):
    help = (
        "Delete user sessions whose ended_at is more than "
        "--days days ago, --batch-size rows per short transaction so a large table is never "
        "locked for long. Prints how many."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.USER_SESSION_RETENTION_DAYS,
            help=f"keep sessions that ended within this many days, 1 to {LOOKBACK_MAX_DAYS} "
            "(default: USER_SESSION_RETENTION_DAYS, %(default)s)",
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            help=f"rows per DELETE, 1 to {MAX_BATCH_SIZE} (default %(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")

    def handle(self, *args: Any, days: int, batch_size: int, dry_run: bool, **options: Any) -> None:
        if not 1 <= days <= LOOKBACK_MAX_DAYS:
            raise CommandError(f"--days must be between 1 and {LOOKBACK_MAX_DAYS} (100 years).")
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise CommandError(f"--batch-size must be between 1 and {MAX_BATCH_SIZE}.")
        batches: list[int] = []
        count = user_sessions_delete_old(
            days=days, batch_size=batch_size, dry_run=dry_run, on_batch=batches.append
        )
        if dry_run:
            self.stdout.write(
                f"Would delete {count} user session(s) that ended over {days} days ago."
            )
            return
        self.stdout.write(
            f"Deleted {count} user session(s) that ended over {days} days ago "
            f"in {len(batches)} batch(es) of up to {batch_size}."
        )
