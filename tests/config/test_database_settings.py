"""DATABASE_URL → Django database settings (Supabase direct and poolers, SQLite)."""

import environ

from config.settings.database import database_from_url

POOLER = "postgres://postgres.proj:pw@aws-0-ap-south-1.pooler.supabase.com:6543/postgres"


def test_transaction_pooler_url_gets_pooler_safe_options(monkeypatch):
    monkeypatch.delenv("DATABASE_POOL_MAX_SIZE", raising=False)

    db = database_from_url(f"{POOLER}?sslmode=require", environ.Env())

    # Django's PostgreSQL backend with a health check that spares busy connections.
    assert db["ENGINE"] == "common.db_backends.postgresql"
    assert (db["HOST"], db["PORT"], db["USER"]) == (
        "aws-0-ap-south-1.pooler.supabase.com",
        6543,
        "postgres.proj",
    )
    assert db["OPTIONS"]["sslmode"] == "require"
    assert db["OPTIONS"]["prepare_threshold"] is None
    assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert db["CONN_HEALTH_CHECKS"] is True


def test_the_psycopg_pool_turns_persistent_connections_off(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", "8")

    db = database_from_url(POOLER, environ.Env())

    assert db["OPTIONS"]["pool"]["max_size"] == 8
    assert db["CONN_MAX_AGE"] == 0


def test_sqlite_waits_for_the_write_lock_instead_of_failing():
    db = database_from_url("sqlite:////tmp/x.sqlite3", environ.Env())

    assert db["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert db["OPTIONS"]["timeout"] >= 10


DIRECT = "postgres://postgres:pw@db.proj.supabase.co:5432/postgres"
DIRECT_OR_POOLER = "DATABASE_TRANSACTION_POOLER"  # CI sets it for its pooler run


def test_direct_connections_carry_short_connect_and_statement_timeouts(monkeypatch):
    for name in ("DATABASE_CONNECT_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT", DIRECT_OR_POOLER):
        monkeypatch.delenv(name, raising=False)

    db = database_from_url(DIRECT, environ.Env())

    assert db["OPTIONS"]["connect_timeout"] == 3
    assert db["OPTIONS"]["options"] == "-c statement_timeout=5000"


def test_the_statement_timeout_is_a_setting(monkeypatch):
    monkeypatch.delenv(DIRECT_OR_POOLER, raising=False)
    monkeypatch.setenv("DATABASE_STATEMENT_TIMEOUT", "0.5")

    db = database_from_url(DIRECT, environ.Env())

    assert db["OPTIONS"]["options"] == "-c statement_timeout=500"


def test_a_transaction_pooler_gets_no_startup_options(monkeypatch):
    """Port 6543 is Supabase's transaction pooler; PgBouncer elsewhere says so itself."""
    monkeypatch.delenv(DIRECT_OR_POOLER, raising=False)
    assert "options" not in database_from_url(POOLER, environ.Env())["OPTIONS"]

    monkeypatch.setenv("DATABASE_TRANSACTION_POOLER", "true")
    assert "options" not in database_from_url(DIRECT, environ.Env())["OPTIONS"]


PREPARED = "DATABASE_PREPARED_STATEMENTS"


def test_prepared_statements_only_on_direct_connections(monkeypatch):
    """A transaction pooler may run the next statement on a server connection that
    never saw the prepared one: only direct and session connections prepare."""
    for name in (DIRECT_OR_POOLER, PREPARED):
        monkeypatch.delenv(name, raising=False)

    direct = database_from_url(DIRECT, environ.Env())
    pooler = database_from_url(POOLER, environ.Env())

    assert direct["PREPARED_STATEMENTS"] is True
    # psycopg prepares nothing by itself; only prepared_cursor() asks.
    assert direct["OPTIONS"]["prepare_threshold"] == 2**31 - 1
    assert pooler["PREPARED_STATEMENTS"] is False
    assert pooler["OPTIONS"]["prepare_threshold"] is None


def test_prepared_statements_can_be_turned_off_or_on(monkeypatch):
    """Off for a direct URL that is in fact a pooler; on for a pooler that keeps
    prepared statements (PgBouncer 1.21+ with max_prepared_statements)."""
    monkeypatch.delenv(DIRECT_OR_POOLER, raising=False)
    monkeypatch.setenv(PREPARED, "false")
    assert database_from_url(DIRECT, environ.Env())["PREPARED_STATEMENTS"] is False

    monkeypatch.setenv(PREPARED, "true")
    pooler = database_from_url(POOLER, environ.Env())
    assert pooler["PREPARED_STATEMENTS"] is True
    assert pooler["OPTIONS"]["prepare_threshold"] == 2**31 - 1
