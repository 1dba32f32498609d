"""A hung or slow database costs a request seconds, then a 503.

The statement timeout reaches the server two ways: in libpq's startup options on a
direct connection, or as a role setting (``manage.py set_statement_timeout``) where
a transaction pooler passes no options. Both are checked against the real server
(``DIRECT_DATABASE_URL`` when the suite itself runs through a pooler).
"""

import os
import socket
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

SLOW_QUERY = """
import time, django
django.setup()
from django.db import connection, OperationalError
with connection.cursor() as c:
    c.execute("SHOW statement_timeout")
    print(c.fetchone()[0])
    started = time.monotonic()
    try:
        c.execute("SELECT pg_sleep(4)")
        print("finished")
    except OperationalError as exc:
        print(type(exc.__cause__).__name__)
    print(round(time.monotonic() - started, 1))
"""


def direct_url_of_test_database() -> str:
    """The test database on the PostgreSQL server itself, never through a pooler."""
    base = os.environ.get("DIRECT_DATABASE_URL") or os.environ["DATABASE_URL"]
    return base.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]


def run_django(script: str, **env) -> list[str]:
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_direct_connection_cancels_a_statement_past_the_timeout():
    shown, outcome, seconds, _ = run_django(
        SLOW_QUERY,
        DATABASE_URL=direct_url_of_test_database(),
        DATABASE_TRANSACTION_POOLER="false",
        DATABASE_STATEMENT_TIMEOUT="1",
    )

    assert shown == "1s"
    assert outcome == "QueryCanceled"
    assert float(seconds) < 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_behind_a_transaction_pooler_the_role_setting_applies_it():
    call_command("set_statement_timeout", seconds=1, stdout=StringIO())
    try:
        shown, outcome, seconds, _ = run_django(
            SLOW_QUERY,
            DATABASE_URL=direct_url_of_test_database(),
            DATABASE_TRANSACTION_POOLER="true",  # no startup options: only the role setting
        )
    finally:
        call_command("set_statement_timeout", reset=True, stdout=StringIO())

    assert shown == "1s"
    assert outcome == "QueryCanceled"
    assert float(seconds) < 3


class BlackHole:
    """A TCP port that accepts connections and never answers (a hung server)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


READYZ = """
import time, django
django.setup()
from django.test import Client
Client().get('/healthz')  # loads the URLconf and views first: only readyz is timed
started = time.monotonic()
r = Client().get('/readyz')
print(r.status_code, r.json()['errors'][0]['code'], round(time.monotonic() - started, 1))
"""


def test_readyz_gives_up_on_a_hung_database_within_the_connect_timeout():
    hole = BlackHole()
    try:
        [line, _] = run_django(
            READYZ,
            DATABASE_URL=f"postgres://nobody@127.0.0.1:{hole.port}/none",
            DATABASE_CONNECT_TIMEOUT="2",
            ALLOWED_HOSTS="testserver",
        )
    finally:
        hole.close()

    status, code, seconds = line.split()
    assert (status, code) == ("503", "database_unavailable")
    assert float(seconds) < 5  # 2 s connect timeout, not libpq's default of forever
