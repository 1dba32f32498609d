"""Fixtures shared by every test module: one per caller kind.

- ``api_client``: no credentials;
- ``api_client_with_key``: a channel / service client (``X-API-Key``);
- ``customer_client``: a customer holding a live session's ``X-Session-Token``;
- ``user_client(role="user" | "admin", user=None, **claims)``: a signed-in user
  with a real HS256 Supabase access token (``supabase`` configures the server);
- ``staff_client``: Django's test client logged in as a superuser (the admin).

The database is real: PostgreSQL when ``DATABASE_URL`` points at one (CI),
otherwise a SQLite file. Tests marked ``postgres`` need PostgreSQL; they are
skipped on SQLite and, when ``REQUIRE_POSTGRES_TESTS=1`` (CI's Postgres run),
any skipped test fails the run.
"""

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_api_key.models import APIKey

from sessions_app.models import UserProfile
from sessions_app.supabase_tokens import reset_jwks_clients
from tests.sessions_app.factories import CustomerSessionFactory
from tests.tokens import TEST_JWT_SECRET, JWKSServer, _JWKSHandler, bearer_client, hs256_token


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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and before Django drops it: end the server
    sessions a pooler still holds on it (PgBouncer keeps idle server connections per
    database), or ``DROP DATABASE`` fails and a ``test_*`` database is left behind."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        connection.close()
        with connection._nodb_cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            )


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
def api_client_with_key(api_key) -> APIClient:
    """A client that sends a valid ``X-API-Key`` (kiosk, WhatsApp gateway, AI backend)."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key)
    return client


@pytest.fixture
def customer_client(db) -> APIClient:
    """A customer: sends the ``X-Session-Token`` of a live session (``.session``)."""
    session = CustomerSessionFactory()
    client = APIClient()
    client.credentials(HTTP_X_SESSION_TOKEN=session.session_token)
    client.session_record = session  # type: ignore[attr-defined]
    return client


@pytest.fixture
def jwks_server() -> Iterator[JWKSServer]:
    """A JWKS endpoint on 127.0.0.1 (random port) in a thread; ``.keys`` is what it
    serves (mutable: add a key to simulate rotation), ``.hits`` counts fetches,
    ``.status`` is the HTTP status it answers with."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _JWKSHandler)
    httpd.state = JWKSServer(url=f"http://127.0.0.1:{httpd.server_address[1]}")
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield httpd.state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def supabase(settings: Any) -> Iterator[Any]:
    """Supabase auth configured with the HS256 test secret and a SUPABASE_URL whose
    JWKS nobody serves (asymmetric tests use ``jwks_server``). JWKS clients are
    reset before and after, so no key set leaks between tests."""
    settings.SUPABASE_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.SUPABASE_JWT_SECRET = TEST_JWT_SECRET
    settings.SUPABASE_JWT_ISSUER = ""
    settings.SUPABASE_JWT_ALGORITHMS = ["ES256", "RS256"]
    settings.SUPABASE_ALLOW_ANONYMOUS = False
    reset_jwks_clients()
    yield settings
    reset_jwks_clients()


@pytest.fixture
def user_client_for(supabase: Any) -> Callable[..., APIClient]:
    """``user_client_for(sub_or_profile, **claims)`` → a client with a valid HS256 token."""

    def make(user=None, **overrides) -> APIClient:
        sub = getattr(user, "pk", user) or uuid.uuid4()
        return bearer_client(hs256_token(sub, supabase_url=supabase.SUPABASE_URL, **overrides))

    return make


@pytest.fixture
def user_client(db, user_client_for) -> Callable[..., APIClient]:
    """``user_client(role="user", user=None, **claims)`` → a signed-in user's client.

    Creates the profile (role ``user`` or ``admin``) unless ``user`` (a profile or
    an id) is given; the client's ``.user_id`` is the token's ``sub``.
    """

    def make(role: str = "user", user: Any = None, **claims: Any) -> APIClient:
        if user is None:
            user = UserProfile.objects.create(id=uuid.uuid4(), role=role)
        client = user_client_for(user, **claims)
        client.user_id = str(getattr(user, "pk", user))  # type: ignore[attr-defined]
        return client

    return make


@pytest.fixture
def staff_client(client, django_user_model):
    """A Django test client logged in as a superuser (the admin's user)."""
    user = django_user_model.objects.create_superuser("staff", "staff@example.com", "pw")
    client.force_login(user)
    return client
