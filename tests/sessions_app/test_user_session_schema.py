"""The ``user_sessions`` and ``user_profiles`` tables as the original SQL defines them: defaults in
the database, checks, the partial index, INET, and ``updated_at`` kept current."""

import pytest
from django.db import IntegrityError, connection, transaction

from sessions_app.models import UserSession
from tests.sessions_app.factories import UserProfileFactory, UserSessionFactory

pytestmark = pytest.mark.django_db


def execute(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def insert_raw(user_id, session_id: str):
    """INSERT naming only the columns without a default, as another SQL client would
    (the id too: only PostgreSQL has a UUID default)."""
    row_id, user = "7f0c1111-2222-4333-8444-555566667777", str(user_id)
    if connection.vendor == "sqlite":  # Django stores UUIDs as 32 hex digits there
        row_id, user = row_id.replace("-", ""), user_id.hex
    execute(
        "INSERT INTO user_sessions (id, user_id, session_id, platform) VALUES (%s, %s, %s, 'web')",
        [row_id, user, session_id],
    )


def test_the_seeds_defaults_are_database_defaults():
    profile = UserProfileFactory()

    insert_raw(profile.pk, "raw-insert-1")

    row = UserSession.objects.get(session_id="raw-insert-1")
    assert (row.status, row.activity_count, row.total_duration_seconds) == ("active", 0, 0)
    assert (row.device_info, row.location_info) == ({}, {})
    assert row.started_at and row.last_activity_at and row.last_heartbeat_at
    assert row.created_at and row.updated_at
    assert row.ended_at is None and row.end_reason is None


@pytest.mark.parametrize(
    "column, value",
    [("platform", "android"), ("status", "paused"), ("end_reason", "bored")],
)
def test_the_seeds_check_constraints_hold(column, value):
    session = UserSessionFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        UserSession.objects.filter(pk=session.pk).update(**{column: value})


def test_session_id_is_unique_in_the_database():
    UserSessionFactory(session_id="unique-id-1")

    with pytest.raises(IntegrityError), transaction.atomic():
        UserSessionFactory(session_id="unique-id-1")


def test_a_profile_role_outside_user_and_admin_is_refused():
    profile = UserProfileFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        type(profile).objects.filter(pk=profile.pk).update(role="owner")


def _index_sql(name: str) -> str:
    if connection.vendor == "postgresql":
        return execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [name])[0][0]
    rows = execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
    return rows[0][0]


def test_the_partial_index_on_active_sessions_exists():
    sql = _index_sql("idx_user_sessions_active").replace('"', "")

    assert "user_id" in sql and "status" in sql
    assert "WHERE" in sql and "active" in sql


@pytest.mark.parametrize(
    "name",
    [
        "idx_user_sessions_user_id",
        "idx_user_sessions_platform",
        "idx_user_sessions_status",
        "idx_user_sessions_started_at",
        "idx_user_sessions_last_act",
        "idx_user_sessions_active",
    ],
)
def test_every_seed_index_exists(name):
    assert _index_sql(name)


@pytest.mark.postgres
def test_ip_address_is_inet_and_documents_are_jsonb_on_postgres():
    types = dict(
        execute(
            """
            SELECT column_name, data_type FROM information_schema.columns
            WHERE table_name = 'user_sessions'
            """
        )
    )

    assert types["ip_address"] == "inet"
    assert types["device_info"] == types["location_info"] == "jsonb"
    assert types["started_at"] == "timestamp with time zone"
    assert types["user_id"] == types["id"] == "uuid"


@pytest.mark.postgres
def test_a_raw_sql_update_still_moves_updated_at_on_postgres():
    """The original SQL's BEFORE UPDATE trigger, for writers outside Django."""
    session = UserSessionFactory()
    execute(
        "UPDATE user_sessions SET updated_at = '2001-01-01T00:00:00Z' WHERE id = %s", [session.pk]
    )
    first = UserSession.objects.get(pk=session.pk).updated_at  # the trigger overrode it

    execute("UPDATE user_sessions SET activity_count = 5 WHERE id = %s", [session.pk])

    assert first.year > 2001
    assert UserSession.objects.get(pk=session.pk).updated_at > first


@pytest.mark.postgres
def test_the_id_has_a_database_default_on_postgres():
    profile = UserProfileFactory()

    execute(
        "INSERT INTO user_sessions (user_id, session_id, platform) "
        "VALUES (%s, 'no-id-given', 'web')",
        [profile.pk],
    )

    assert UserSession.objects.get(session_id="no-id-given").id is not None
