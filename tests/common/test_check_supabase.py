"""``manage.py check_supabase`` and readyz on a Supabase database: nothing in ``public``
is open to the Data API roles past row-level security, and the ``anon`` role reads
nothing.

The stand-in ``auth`` schema (tests/supabase_stand_in.py) makes the test database look
like Supabase's; ``anon`` and ``authenticated`` get the grants Supabase gives them on
``public`` by default. Everything happens inside the test's transaction.
"""

import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from common.supabase import supabase_exposures
from tests.sessions_app.factories import CustomerSessionFactory, UserSessionFactory
from tests.supabase_stand_in import STAND_IN_AUTH

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def execute(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


@pytest.fixture
def supabase():
    """Stand-in auth, the two Data API roles with Supabase's default grants, and the
    project's own security steps applied (what `migrate` does on Supabase)."""
    created = []
    for role in ("anon", "authenticated"):
        if not execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]):
            execute(f"CREATE ROLE {role} NOLOGIN")
            created.append(role)
    for statement in STAND_IN_AUTH:
        execute(statement)
    execute("GRANT USAGE ON SCHEMA public, auth TO anon, authenticated")
    execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO anon, authenticated")
    call_command("supabase_secure", stdout=StringIO())
    yield
    execute("RESET ROLE")
    execute("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM anon, authenticated")
    execute("REVOKE ALL ON SCHEMA public FROM anon, authenticated")
    execute("DROP SCHEMA auth CASCADE")
    for role in created:
        execute(f"DROP OWNED BY {role}")  # also takes it out of any policy
        execute(f"DROP ROLE {role}")


def kinds(exposures) -> set[tuple[str, str]]:
    return {(e.kind, e.name) for e in exposures}


def test_a_secured_database_has_no_exposure_and_anon_reads_nothing(supabase):
    CustomerSessionFactory.create_batch(2)
    user_id = uuid.uuid4()
    execute("INSERT INTO auth.users (id) VALUES (%s)", [user_id])
    UserSessionFactory(user__id=user_id)
    tables = [
        name
        for (name,) in execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
    ]

    assert supabase_exposures() == []
    call_command("check_supabase", stdout=StringIO())
    execute("SET LOCAL ROLE anon")
    counts = {t: execute(f'SELECT count(*) FROM "{t}"')[0][0] for t in tables}  # noqa: S608
    execute("RESET ROLE")
    assert "sessions" in counts and "auth_user" in counts and "user_sessions" in counts
    assert set(counts.values()) == {0}
    assert execute("SELECT count(*) FROM sessions")[0][0] == 2  # Django, the owner, sees them


def test_each_way_past_rls_is_reported(supabase):
    CustomerSessionFactory()
    execute("CREATE TABLE loaded_by_hand (id int)")  # a data load outside migrate
    execute('CREATE POLICY "anyone reads sessions" ON sessions FOR SELECT TO anon USING (true)')
    execute("CREATE ROLE check_bypass_probe NOLOGIN BYPASSRLS")
    execute("GRANT check_bypass_probe TO authenticated")
    execute("CREATE VIEW session_summary AS SELECT channel, count(*) FROM sessions GROUP BY 1")
    execute("GRANT SELECT ON session_summary TO authenticated")

    found = kinds(supabase_exposures())

    assert found == {
        ("rls_disabled", "loaded_by_hand"),
        ("extra_policy", "sessions.anyone reads sessions"),
        ("role_bypasses_rls", "authenticated"),
        ("view_bypasses_rls", "session_summary"),
    }
    execute("SET LOCAL ROLE anon")
    assert execute("SELECT count(*) FROM sessions")[0][0] == 1  # what the policy opened
    execute("RESET ROLE")
    with pytest.raises(CommandError, match="4 exposure"):
        call_command("check_supabase", stdout=StringIO())
    execute("REVOKE check_bypass_probe FROM authenticated")
    execute("DROP ROLE check_bypass_probe")


def test_a_view_that_runs_as_its_caller_is_not_reported(supabase):
    execute("CREATE VIEW session_summary WITH (security_invoker = true) AS SELECT 1 AS one")
    execute("GRANT SELECT ON session_summary TO authenticated")

    assert supabase_exposures() == []


def test_readyz_fails_while_anything_is_exposed(supabase, api_client):
    assert api_client.get("/readyz").status_code == 200

    execute("CREATE TABLE loaded_by_hand (id int)")
    response = api_client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["errors"][0]["code"] == "supabase_exposed"


def test_off_supabase_there_is_nothing_to_check(capsys):
    call_command("check_supabase")

    assert supabase_exposures() == []
    assert "not a Supabase database" in capsys.readouterr().out
