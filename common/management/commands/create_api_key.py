"""``manage.py create_api_key NAME``: a key for a channel or service client."""

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from rest_framework_api_key.models import APIKey


class Command(BaseCommand):
    help = (
        "Create an API key for a channel client (kiosk, WhatsApp gateway, AI backend). "
        "The key is printed once, as the last line; only its hash is stored."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who holds the key, e.g. 'kiosk-store-12'")
        parser.add_argument(
            "--expires-in-days", type=int, default=None, help="days until the key stops working"
        )

    def handle(self, *args: Any, name: str, expires_in_days: int | None, **options: Any) -> None:
        name = name.strip()
        if not name:
            raise CommandError("NAME must not be empty.")
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be a positive number of days.")
        expiry = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        api_key, key = APIKey.objects.create_key(name=name, expiry_date=expiry)
        self.stderr.write(
            f"Created API key {name!r} (prefix {api_key.prefix}). Send it as the X-API-Key "
            "header. It is shown only now; revoke it in the admin under API keys."
        )
        self.stdout.write(key)
