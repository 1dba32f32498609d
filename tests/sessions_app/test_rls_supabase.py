"""On a Supabase database (schema ``auth``): foreign keys to ``auth.users`` and the original
row-level-security policies (as on Supabase).

Django's test database is created by running the migrations on an empty database, so
``auth`` does not exist then and migration 0003 skips its Supabase part (as it does on
any plain PostgreSQL). These tests build a stand-in ``auth`` schema that behaves like
Supabase's (``auth.users``; ``auth.uid()`` and ``auth.role()`` read the
``request.jwt.claims`` setting, as PostgREST sets it per request), run the guarded
function themselves, and query as the ``authenticated`` role.

Everything runs inside the test's transaction, which pytest-django rolls back; the
fixture also drops what it created, so other tests sharing the database never see an
``auth`` schema, policies or the role.
"""

import importlib
import json
import uuid
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from common.supabase import has_supabase_auth
from sessions_app.models import UserProfile, UserSession
from tests.sessions_app.factories import UserSessionFactory
from tests.supabase_stand_in import STAND_IN_AUTH
from tests.tokens import bearer_client, hs256_token

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

migration = importlib.import_module(
    "sessions_app.migrations.0003_user_sessions_postgres_and_supabase"
)


ALICE = uuid.UUID("a11ce000-0000-4000-8000-000000000001")
BOB = uuid.UUID("b0b00000-0000-4000-8000-000000000002")


def execute(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def scalar(sql: str, params=None):
    return execute(sql, params)[0][0]


@pytest.fixture
def supabase_auth():
    """The stand-in ``auth`` schema and an ``authenticated`` role (NOLOGIN)."""
    role_existed = bool(scalar("SELECT count(*) FROM pg_roles WHERE rolname = 'authenticated'"))
    for statement in STAND_IN_AUTH:
        execute(statement)
    if not role_existed:
        execute("CREATE ROLE authenticated NOLOGIN")
    execute("GRANT USAGE ON SCHEMA auth TO authenticated")
    execute(
        "INSERT INTO auth.users (id, email) VALUES (%s, %s), (%s, %s)",
        [ALICE, "alice@example.com", BOB, "bob@example.com"],
    )
    yield
    # Undo (the rollback would too): policies, RLS, grants, the schema, the role.
    execute("RESET ROLE")
    migration.supabase_security_remove(connection)
    execute("REVOKE ALL ON user_sessions, user_profiles FROM authenticated")
    execute("DROP SCHEMA auth CASCADE")
    if not role_existed:
        execute("DROP ROLE authenticated")


@contextmanager
def as_user(claims: dict):
    """Run as PostgREST would for a request with these JWT claims."""
    execute("SET ROLE authenticated")
    execute("SELECT set_config('request.jwt.claims', %s, false)", [json.dumps(claims)])
    try:
        yield
    finally:
        execute("RESET ROLE")
        execute("SELECT set_config('request.jwt.claims', '', false)")


def visible_session_ids() -> set[str]:
    return {row[0] for row in execute("SELECT session_id FROM user_sessions")}


def policies(table: str) -> set[str]:
    rows = execute("SELECT policyname FROM pg_policies WHERE tablename = %s", [table])
    return {row[0] for row in rows}


def rls_enabled(table: str) -> bool:
    return scalar("SELECT relrowsecurity FROM pg_class WHERE relname = %s", [table])


@pytest.fixture
def two_users_sessions():
    alice = UserProfile.objects.create(id=ALICE, email="alice@example.com")
    bob = UserProfile.objects.create(id=BOB, email="bob@example.com")
    UserSessionFactory(user=alice, session_id="alice-web-1")
    UserSessionFactory(user=alice, session_id="alice-ios-1", platform="ios-external")
    UserSessionFactory(user=bob, session_id="bob-web-1")


def test_without_the_auth_schema_the_guarded_step_does_nothing():
    assert has_supabase_auth(connection) is False

    assert migration.supabase_security_apply(connection) is False

    assert not rls_enabled("user_sessions")
    assert policies("user_sessions") == set()


def test_with_auth_the_policies_and_foreign_keys_are_created_and_a_rerun_is_harmless(
    supabase_auth,
):
    assert migration.supabase_security_apply(connection) is True
    assert migration.supabase_security_apply(connection) is True  # idempotent

    assert rls_enabled("user_sessions") and rls_enabled("user_profiles")
    assert policies("user_sessions") == {
        "Users can view their own sessions",
        "Users can create their own sessions",
        "Users can update their own sessions",
        "Service role can manage all sessions",
    }
    assert policies("user_profiles") == {"Users can view their own profile"}
    cascades = execute(
        """
        SELECT conrelid::regclass::text, confdeltype FROM pg_constraint
        WHERE contype = 'f' AND confrelid = 'auth.users'::regclass ORDER BY 1
        """
    )
    assert cascades == [("user_profiles", "c"), ("user_sessions", "c")]


def test_a_signed_in_user_reads_only_their_own_sessions(supabase_auth, two_users_sessions):
    migration.supabase_security_apply(connection)

    with as_user({"sub": str(ALICE), "role": "authenticated"}):
        alice_sees = visible_session_ids()
        alice_profiles = execute("SELECT id FROM user_profiles")
    with as_user({"sub": str(BOB), "role": "authenticated"}):
        bob_sees = visible_session_ids()
    with as_user({"role": "authenticated"}):  # no sub: nobody
        nobody_sees = visible_session_ids()

    assert alice_sees == {"alice-web-1", "alice-ios-1"}
    assert alice_profiles == [(ALICE,)]
    assert bob_sees == {"bob-web-1"}
    assert nobody_sees == set()


def test_the_service_role_sees_every_session(supabase_auth, two_users_sessions):
    migration.supabase_security_apply(connection)

    with as_user({"role": "service_role"}):
        seen = visible_session_ids()

    assert seen == {"alice-web-1", "alice-ios-1", "bob-web-1"}


def test_a_user_cannot_write_someone_elses_sessions(supabase_auth, two_users_sessions):
    migration.supabase_security_apply(connection)

    with as_user({"sub": str(ALICE), "role": "authenticated"}):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            execute(
                "INSERT INTO user_sessions (user_id, session_id, platform) VALUES (%s, %s, 'web')",
                [BOB, "forged-for-bob"],
            )
        execute("UPDATE user_sessions SET status = 'ended' WHERE session_id = 'bob-web-1'")
        execute(
            "INSERT INTO user_sessions (user_id, session_id, platform) VALUES (%s, %s, 'web')",
            [ALICE, "alice-own-insert"],
        )

    assert UserSession.objects.get(session_id="bob-web-1").status == "active"
    own = UserSession.objects.get(session_id="alice-own-insert")
    assert (own.status, own.activity_count, own.device_info) == (
        "active",
        0,
        {},
    )  # the original defaults


def test_a_user_cannot_make_themselves_admin_through_the_data_api(
    supabase_auth, two_users_sessions
):
    migration.supabase_security_apply(connection)

    with (
        as_user({"sub": str(ALICE), "role": "authenticated"}),
        pytest.raises(DatabaseError, match="permission denied"),
        transaction.atomic(),
    ):
        execute("UPDATE user_profiles SET role = 'admin' WHERE id = %s", [ALICE])

    assert UserProfile.objects.get(pk=ALICE).role == "user"


def test_deleting_the_auth_user_deletes_profile_and_sessions(supabase_auth, two_users_sessions):
    migration.supabase_security_apply(connection)

    execute("DELETE FROM auth.users WHERE id = %s", [BOB])

    assert not UserProfile.objects.filter(pk=BOB).exists()
    assert set(UserSession.objects.values_list("session_id", flat=True)) == {
        "alice-web-1",
        "alice-ios-1",
    }


def test_a_profile_needs_an_auth_user(supabase_auth):
    migration.supabase_security_apply(connection)

    with pytest.raises(DatabaseError, match="user_profiles_id_auth_users_fk"), transaction.atomic():
        UserProfile.objects.create(id=uuid.uuid4(), email="ghost@example.com")


def test_a_valid_token_of_a_deleted_user_is_401_not_500(supabase_auth, supabase):
    """Supabase keeps an access token valid until ``exp`` after the user is deleted."""
    migration.supabase_security_apply(connection)
    ghost = uuid.uuid4()  # not in auth.users
    token = hs256_token(ghost, supabase_url=supabase.SUPABASE_URL)

    response = bearer_client(token).get("/api/v1/me/")

    assert response.status_code == 401
    assert "no longer exists" in response.headers["WWW-Authenticate"]
    assert not UserProfile.objects.filter(pk=ghost).exists()


def test_the_supabase_step_can_be_reversed_and_applied_again(supabase_auth):
    migration.supabase_security_apply(connection)

    assert migration.supabase_security_remove(connection) is True
    assert not rls_enabled("user_sessions") and policies("user_sessions") == set()
    assert migration.supabase_security_apply(connection) is True
    assert len(policies("user_sessions")) == 4
