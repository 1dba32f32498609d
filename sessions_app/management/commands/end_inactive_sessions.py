"""``manage.py end_inactive_sessions``: time out user sessions that stopped sending heartbeats."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from admin_panel.commands import RecordedCommand
from sessions_app.services import LOOKBACK_MAX_MINUTES, user_sessions_end_inactive


class Command(RecordedCommand):
    help = (
        "Time out live (active or idle) user sessions with no "
        "heartbeat for --timeout-minutes become status=timeout, end_reason=timeout, with "
        "ended_at at their last sign of life and total_duration_seconds computed by the "
        "database, in one set-based UPDATE. Prints how many."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--timeout-minutes",
            type=int,
            default=settings.USER_SESSION_TIMEOUT_MINUTES,
            help=f"minutes without a heartbeat, 1 to {LOOKBACK_MAX_MINUTES} "
            "(default: USER_SESSION_TIMEOUT_MINUTES, %(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")

    def handle(self, *args: Any, timeout_minutes: int, dry_run: bool, **options: Any) -> None:
        if not 1 <= timeout_minutes <= LOOKBACK_MAX_MINUTES:
            raise CommandError(
                f"--timeout-minutes must be between 1 and {LOOKBACK_MAX_MINUTES} (100 years)."
            )
        count = user_sessions_end_inactive(timeout_minutes=timeout_minutes, dry_run=dry_run)
        verb = "Would time out" if dry_run else "Timed out"
        self.stdout.write(
            f"{verb} {count} user session(s) with no heartbeat for {timeout_minutes} minute(s)."
        )
