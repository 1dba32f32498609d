"""``manage.py expire_sessions``: retire customer sessions whose window has run out."""

from typing import Any

from admin_panel.commands import RecordedCommand
from sessions_app.services import customer_sessions_expire


class Command(RecordedCommand):
    help = (
        "Mark every active customer session past expires_at as expired "
        "(one set-based UPDATE) and print how many."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = customer_sessions_expire()
        self.stdout.write(f"Expired {count} customer session(s).")
