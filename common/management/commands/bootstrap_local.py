"""``manage.py bootstrap_local``: what a fresh clone needs to be explored locally."""

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework_api_key.models import APIKey

from common import demo

DEMO_KEY_NAME = "demo-channel"


class Command(BaseCommand):
    help = (
        "Local set-up (run by `make run`): an admin user, a demo channel API key "
        "(printed once) and demo data (common.demo). Idempotent. "
        "Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="run even with DEBUG off")
        parser.add_argument(
            "--site",
            default="http://127.0.0.1:8000",
            help="where runserver will listen, for the admin link printed (make run passes it)",
        )

    def handle(self, *args: Any, force: bool, site: str, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError("bootstrap_local is for local runs (DEBUG on); use --force.")
        self._admin_user(site.rstrip("/"))
        self._demo_api_key()
        for name, load in demo.LOADERS:
            created = load()
            self.stdout.write(f"Demo {name}: {created} row(s) created.")

    def _admin_user(self, site: str) -> None:
        """Create ``admin`` with a random password kept in .local/ (git-ignored)."""
        password_file = Path(settings.BASE_DIR) / ".local" / "admin-password"
        user_model = get_user_model()
        if not user_model.objects.filter(username="admin").exists():
            password = os.environ.get("LOCAL_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
            user_model.objects.create_superuser("admin", "admin@localhost", password)
            password_file.parent.mkdir(exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        shown = password_file.read_text().strip() if password_file.exists() else "(set earlier)"
        self.stdout.write(f"Admin: {site}/admin/  user: admin  password: {shown}")

    def _demo_api_key(self) -> None:
        """Create the demo channel key once; only its hash is kept, so it prints once."""
        existing = APIKey.objects.filter(name=DEMO_KEY_NAME, revoked=False).first()
        if existing:
            self.stdout.write(
                f"Demo API key {DEMO_KEY_NAME!r} exists (prefix {existing.prefix}); it was "
                "printed when created. Make another with: manage.py create_api_key NAME"
            )
            return
        _obj, key = APIKey.objects.create_key(name=DEMO_KEY_NAME)
        self.stdout.write(f"Demo channel API key (shown once, send as X-API-Key): {key}")
