"""On a Supabase database every project table gets row-level security (closed by default).

Django's test database has no ``auth`` schema, so the tests build a stand-in one
(tests/supabase_stand_in.py) inside the test's transaction, which pytest-django
rolls back.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from common.supabase import supabase_tables_enable_rls
from tests.sessions_app.factories import CustomerSessionFactory
from tests.supabase_stand_in import STAND_IN_AUTH

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

SENSITIVE = [
    "sessions",
    "rest_framework_api_key_apikey",
    "auth_user",
    "usage_logs",
    "django_session",
]


def scalar(sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def rls_enabled(table: str) -> bool:
    return scalar("SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", [table])


@pytest.fixture
def supabase_auth():
    with connection.cursor() as cursor:
        for statement in STAND_IN_AUTH:
            cursor.execute(statement)
        cursor.execute("CREATE ROLE rls_probe NOLOGIN")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
        cursor.execute("DROP OWNED BY rls_probe")
        cursor.execute("DROP ROLE rls_probe")
        cursor.execute("DROP SCHEMA auth CASCADE")


def test_without_supabase_nothing_changes():
    assert supabase_tables_enable_rls() == []
    assert not rls_enabled("sessions")


def test_on_supabase_every_project_table_is_closed_to_the_data_api_roles(supabase_auth):
    CustomerSessionFactory()
    with connection.cursor() as cursor:
        cursor.execute("GRANT SELECT ON sessions TO rls_probe")

    changed = supabase_tables_enable_rls()

    assert set(SENSITIVE) <= set(changed)
    every_table = connection.introspection.django_table_names(only_existing=True)
    assert all(rls_enabled(table) for table in every_table)
    with connection.cursor() as cursor:
        cursor.execute("SET ROLE rls_probe")  # a Data API role with a grant but no policy
        cursor.execute("SELECT count(*) FROM sessions")
        assert cursor.fetchone()[0] == 0
        cursor.execute("RESET ROLE")
    assert scalar("SELECT count(*) FROM sessions") == 1  # the owner (Django) still sees it
    assert supabase_tables_enable_rls() == []  # a rerun has nothing left to do


def test_migrate_runs_it(supabase_auth):
    out = StringIO()

    call_command("migrate", verbosity=1, stdout=out)

    assert rls_enabled("sessions") and rls_enabled("auth_user")
    assert "Supabase: row-level security enabled on" in out.getvalue()


def test_supabase_secure_applies_every_step_again(supabase_auth):
    out = StringIO()

    call_command("supabase_secure", stdout=out)

    assert rls_enabled("sessions") and rls_enabled("user_sessions")
    policies = scalar("SELECT count(*) FROM pg_policies WHERE tablename = 'user_sessions'")
    assert policies == 4
    assert "row-level security newly enabled" in out.getvalue()
