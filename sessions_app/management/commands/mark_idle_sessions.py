"""``manage.py mark_idle_sessions``: active user sessions without recent heartbeats → idle."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from admin_panel.commands import RecordedCommand
from sessions_app.services import LOOKBACK_MAX_MINUTES, user_sessions_mark_idle


class Command(RecordedCommand):
    help = (
        "Mark active user sessions with no heartbeat for --idle-minutes as idle (a heartbeat "
        "makes them active again). One set-based UPDATE. Prints how many."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--idle-minutes",
            type=int,
            default=settings.USER_SESSION_IDLE_MINUTES,
            help=f"minutes without a heartbeat, 1 to {LOOKBACK_MAX_MINUTES} "
            "(default: USER_SESSION_IDLE_MINUTES, %(default)s)",
        )
        parser.add_argument("--dry-run", action="store_true", help="count only, change nothing")

    def handle(self, *args: Any, idle_minutes: int, dry_run: bool, **options: Any) -> None:
        if not 1 <= idle_minutes <= LOOKBACK_MAX_MINUTES:
            raise CommandError(
                f"--idle-minutes must be between 1 and {LOOKBACK_MAX_MINUTES} (100 years)."
            )
        count = user_sessions_mark_idle(idle_minutes=idle_minutes, dry_run=dry_run)
        verb = "Would mark" if dry_run else "Marked"
        self.stdout.write(
            f"{verb} {count} user session(s) idle (no heartbeat for {idle_minutes} minute(s))."
        )
