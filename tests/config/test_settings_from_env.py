"""Settings read from the environment at start-up: a copied ``.env.example`` must
not break a local run, and must not be accepted in production."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def load_settings(module: str, **env: str) -> subprocess.CompletedProcess:
    """Import ``module`` in a fresh interpreter with ``env`` on top of ours."""
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(settings.DATABASES['default']['ENGINE'])"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": module, **env}
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_empty_database_url_means_the_local_sqlite_default():
    result = load_settings("config.settings.local", DATABASE_URL="")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_production_refuses_the_placeholder_secret_key():
    for placeholder in ("change-me", "tiny-secret"):
        result = load_settings("config.settings.production", SECRET_KEY=placeholder)

        assert result.returncode != 0
        assert "SECRET_KEY is a placeholder" in result.stderr
        assert placeholder not in result.stderr.split("ImproperlyConfigured")[-1]


def test_production_starts_with_a_generated_secret_key():
    result = load_settings("config.settings.production", SECRET_KEY=secrets.token_urlsafe(50))

    assert result.returncode == 0, result.stderr
