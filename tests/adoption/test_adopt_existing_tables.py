# ruff: noqa: S608, UP031 (fixed test data spliced into SQL, as the SQL editor ran it)
"""Tables made by hand from the earlier product's SQL, with rows, survive `migrate`:
every row is in the project's tables afterwards, readable and updatable through the
API, and a second `migrate` copies nothing twice.

A database of its own (``<test database>_adopt``), because the adoption is about a
database the migrations have never touched; dropped at the end."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.adoption import seed_tables
from tests.supabase_stand_in import STAND_IN_AUTH

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
JWT_SECRET = "adoption-test-secret-0123456789-abcdefghij"
ISSUER = "https://adopt.supabase.invalid/auth/v1"

ALICE = uuid.UUID("a11ce000-0000-4000-8000-0000000000a1")
CHAT = uuid.UUID("c4a70000-0000-4000-8000-000000000001")
QUIET_CHAT = uuid.UUID("c4a70000-0000-4000-8000-000000000002")
NEW_TOKEN = "Zq3vJ0m1pL8xW2cT5bN7kR4sY6dF9gH0aE2uI4oP1lK"  # as the old backend issued them
OLD, NEW, ODD = (uuid.UUID(f"5e550000-0000-4000-8000-00000000000{i}") for i in (1, 2, 3))

ROWS = [
    # Two active sessions for one phone in two notations: the newest stays active.
    "INSERT INTO sessions VALUES ('%s', 101, '+91-98765 43210', 'kiosk', 'tok-old-0001',"
    " 'active', now() - interval '3 days', now() - interval '2 days', now() + interval '5 days',"
    """ '{"cart": ["shoe"]}')""" % OLD,
    "INSERT INTO sessions VALUES ('%s', 102, '919876543210', 'whatsapp', '%s',"
    " 'active', now() - interval '1 day', now() - interval '1 hour', now() + interval '6 days',"
    " NULL)" % (NEW, NEW_TOKEN),
    # Nothing but the required columns, and a phone that does not parse.
    "INSERT INTO sessions (session_id, customer_id, phone) VALUES ('%s', 7, 'n/a')" % ODD,
    "INSERT INTO ai_sessions VALUES ('%s', 'user-7', '2025-01-01 10:00', '2025-01-01 10:05'),"
    " ('%s', NULL, NULL, NULL)" % (CHAT, QUIET_CHAT),
    "INSERT INTO ai_interactions VALUES"
    " ('%s', '%s', 'hi', 'hello', 'gpt-4o', 30, '2025-01-01 10:01'),"
    " ('%s', '%s', 'shoes?', 'yes', 'gpt-4o', 50, '2025-01-01 10:02'),"
    " ('%s', '%s', 'size 9?', 'in stock', 'gpt-4o-mini', 40, '2025-01-01 10:03')"
    % (uuid.uuid4(), CHAT, uuid.uuid4(), CHAT, uuid.uuid4(), CHAT),
    "INSERT INTO auth.users (id, email) VALUES ('%s', 'alice@example.com')" % ALICE,
    "INSERT INTO user_sessions (user_id, session_id, platform, ip_address, activity_count)"
    " VALUES ('%s', 'web-session-0001', 'web', '203.0.113.77', 4),"
    " ('%s', 'ios-session-0002', 'ios-external', '2001:db8:abcd:12::1', 0)" % (ALICE, ALICE),
]

THROUGH_THE_API = """
import json, time, django, jwt
django.setup()
from django.test import Client
from rest_framework_api_key.models import APIKey
_, key = APIKey.objects.create_key(name="adoption")
token = jwt.encode({"iss": "%(iss)s", "aud": "authenticated", "sub": "%(alice)s",
                    "role": "authenticated", "iat": int(time.time()),
                    "exp": int(time.time()) + 600}, "%(secret)s", "HS256")
c = Client()
out = {}
r = c.get("/session/restore", HTTP_X_SESSION_TOKEN="%(token)s")
out["restore"] = [r.status_code, r.json()]
r = c.get("/session/restore", HTTP_X_SESSION_TOKEN="tok-old-0001")
out["restore_old"] = r.status_code
r = c.post("/session/update", {"metadata": {"cart": ["sock"]}}, content_type="application/json",
           HTTP_X_SESSION_TOKEN="%(token)s")
out["update"] = [r.status_code, r.json()]
r = c.get("/api/v1/ai-sessions/%(chat)s/interactions/", HTTP_X_API_KEY=key)
out["history"] = [r.status_code, r.json()]
r = c.post("/api/v1/interactions/", {"session_id": "%(chat)s", "prompt": "and blue?",
           "response": "yes", "model_used": "gpt-4o"}, content_type="application/json",
           HTTP_X_API_KEY=key)
out["log"] = r.status_code
r = c.post("/api/v1/user-sessions/web-session-0001/heartbeat/", {}, content_type="application/json",
           HTTP_AUTHORIZATION="Bearer " + token)
out["heartbeat"] = [r.status_code, r.json()]
print(json.dumps(out))
"""


def psql(url: str, *statements: str):
    with psycopg.connect(url, autocommit=True) as conn:
        result = None
        for statement in statements:
            result = conn.execute(statement)
        return result.fetchall() if result is not None and result.description else None


def run(args: list[str], url: str) -> str:
    result = subprocess.run(  # noqa: S603 (our own interpreter, fixed arguments)
        [sys.executable, *args],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": url,
            "DATABASE_TRANSACTION_POOLER": "false",
            "SUPABASE_JWT_SECRET": JWT_SECRET,
            "SUPABASE_JWT_ISSUER": ISSUER,
            "ALLOWED_HOSTS": "testserver",
        },
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture
def adopt_db():
    """An empty database of its own on the server itself (migrate goes direct, not
    through a transaction pooler), and the Data API role the seed's grants name."""
    server = (os.environ.get("DIRECT_DATABASE_URL") or os.environ["DATABASE_URL"]).rsplit("/", 1)[0]
    name = f"{connection.settings_dict['NAME']}_adopt"
    psql(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f"{server}/postgres", f'CREATE DATABASE "{name}"')
    made_role = not psql(
        f"{server}/postgres", "SELECT 1 FROM pg_roles WHERE rolname = 'authenticated'"
    )
    if made_role:
        psql(f"{server}/postgres", "CREATE ROLE authenticated NOLOGIN")
    yield f"{server}/{name}"
    psql(f"{server}/postgres", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if made_role:
        psql(f"{server}/postgres", "DROP ROLE IF EXISTS authenticated")


def test_migrate_keeps_every_row_of_the_hand_made_tables(adopt_db):
    psql(adopt_db, *STAND_IN_AUTH, "GRANT USAGE ON SCHEMA auth TO authenticated")
    psql(adopt_db, seed_tables.SESSIONS, seed_tables.AI_TABLES, seed_tables.USER_SESSIONS)
    psql(adopt_db, *ROWS)

    output = run(["manage.py", "migrate", "--no-input"], adopt_db)

    assert "Adopting existing tables" in output
    assert "Adopted rows: sessions 3, user_sessions 2, ai_sessions 2, ai_interactions 3" in output
    sessions = {
        str(row[0]): row[1:]
        for row in psql(
            adopt_db, "SELECT session_id, customer_id, phone, channel, status FROM sessions"
        )
    }
    assert sessions == {
        str(NEW): ("102", "+919876543210", "whatsapp", "active"),
        str(OLD): ("101", "+919876543210", "kiosk", "expired"),  # one active per phone
        str(ODD): ("7", "n/a", "chat", "expired"),  # kept as written where it cannot parse
    }
    assert psql(
        adopt_db,
        "SELECT interaction_count, last_interaction_at = '2025-01-01 10:03+00' "
        f"FROM ai_sessions WHERE id = '{CHAT}'",
    ) == [(3, True)]
    assert psql(adopt_db, "SELECT host(ip_address) FROM user_sessions ORDER BY 1") == [
        ("2001:db8:abcd::",),
        ("203.0.113.0",),
    ]
    assert psql(adopt_db, "SELECT count(*) FROM user_profiles") == [(1,)]

    api = json.loads(
        run(
            [
                "-c",
                THROUGH_THE_API
                % {
                    "iss": ISSUER,
                    "alice": ALICE,
                    "secret": JWT_SECRET,
                    "chat": CHAT,
                    "token": NEW_TOKEN,
                },
            ],
            adopt_db,
        ).splitlines()[-1]
    )

    assert api["restore"][0] == 200
    assert api["restore"][1]["session"]["customer_id"] == "102"
    assert api["restore_old"] == 404
    assert api["update"][0] == 200
    assert api["update"][1]["session"]["metadata"] == {"cart": ["sock"]}
    assert api["history"][0] == 200
    assert [i["prompt"] for i in api["history"][1]["results"]] == ["hi", "shoes?", "size 9?"]
    assert api["log"] == 201
    assert api["heartbeat"][0] == 200 and api["heartbeat"][1]["activity_count"] == 5
    assert psql(adopt_db, f"SELECT interaction_count FROM ai_sessions WHERE id = '{CHAT}'") == [
        (4,)
    ]

    # Again: nothing is set aside or copied twice; the originals stay for checking.
    again = run(["manage.py", "migrate", "--no-input"], adopt_db)

    assert "Adopt" not in again
    assert psql(adopt_db, "SELECT count(*) FROM sessions") == [(3,)]
    assert psql(adopt_db, "SELECT count(*) FROM sessions_adopted") == [(3,)]
