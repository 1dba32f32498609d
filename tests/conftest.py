"""Fixtures shared by every test module.

The database is real: PostgreSQL when ``DATABASE_URL`` points at one (CI),
otherwise a SQLite file. Tests marked ``postgres`` need PostgreSQL; they are
skipped on SQLite and, when ``REQUIRE_POSTGRES_TESTS=1`` (CI's Postgres run),
any skipped test fails the run.
"""

import os

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey


def pytest_collection_modifyitems(config, items):
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("REQUIRE_POSTGRES_TESTS") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if connection.vendor != "postgresql" or skipped:
        reporter.write_line(
            f"REQUIRE_POSTGRES_TESTS=1: vendor={connection.vendor}, {skipped} test(s) skipped; "
            "every test must run against PostgreSQL.",
            red=True,
        )
        session.exitstatus = 1


@pytest.fixture
def api_client() -> APIClient:
    """A client with no credentials."""
    return APIClient()


@pytest.fixture
def api_key(db) -> str:
    """The plain text of a valid channel API key."""
    _obj, key = APIKey.objects.create_key(name="test-channel")
    return key


@pytest.fixture
def channel_client(api_key) -> APIClient:
    """A client that sends a valid ``X-API-Key`` (kiosk, WhatsApp gateway, AI backend)."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key)
    return client


@pytest.fixture
def staff_client(client, django_user_model):
    """A Django test client logged in as a superuser (the admin's user)."""
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client
