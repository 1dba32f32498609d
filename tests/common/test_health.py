"""Liveness and readiness endpoints."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_lives(api_client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_the_database_answers_and_migrations_are_applied(api_client):
    response = api_client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_is_503_when_a_migration_is_not_applied(api_client):
    """As after a deploy whose migrations were not run: the app's rows are missing."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["sessions_app"])

    response = api_client.get("/readyz")

    assert response.status_code == 503
    error = response.json()["errors"][0]
    assert error["code"] == "migrations_pending"
    assert "sessions_app.0001_initial" in error["detail"]


def test_readyz_is_503_when_the_database_does_not_answer():
    """A real process pointed at a port where no database listens."""
    root = Path(__file__).resolve().parents[2]
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz');"
        "print(r.status_code, r.json()['errors'][0]['code'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none",
        "DATABASE_CONNECT_TIMEOUT": "2",
        "ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", script],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == ["503", "database_unavailable"], result.stderr
