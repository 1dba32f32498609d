"""``DATABASES["default"]`` from a URL, tuned per engine."""

import os
import tempfile

import environ

# Supabase's transaction pooler (Supavisor) listens on this port; PgBouncer in
# transaction mode is the same case whatever its port (DATABASE_TRANSACTION_POOLER).
SUPABASE_TRANSACTION_POOLER_PORT = 6543
# psycopg's ``prepare_threshold``: how many times a query runs before psycopg
# prepares it by itself. None disables prepared statements on the connection;
# this many means "only when a cursor asks" (``prepare=True``), which only
# ``prepared_cursor()`` does. Django's own cursors bind on the client and never
# prepare anyway.
PREPARE_WHEN_ASKED = 2**31 - 1


def database_from_url(url: str, env: environ.Env) -> dict:
    """Build Django's database settings from ``url`` (django-environ's ``db_url`` syntax).

    PostgreSQL (Supabase direct, session pooler or transaction pooler): libpq
    options in the query string (``?sslmode=require``) land in OPTIONS;
    server-side cursors off, so PgBouncer / Supavisor in transaction mode never
    meets a cursor from another client (Django docs, "Transaction pooling and
    server-side cursors"). Prepared statements (``PREPARED_STATEMENTS``,
    ``DATABASE_PREPARED_STATEMENTS``, default: on except through a transaction
    pooler) only for the statements run through ``prepared_cursor()``; off,
    psycopg's ``prepare_threshold`` is None (psycopg docs, "Prepared
    statements": a pooler in transaction mode may send the next execution to a
    server connection that does not know the statement). Optional psycopg pool when
    ``DATABASE_POOL_MAX_SIZE`` > 0. The engine is ``common.db_backends.postgresql``
    (Django's, whose health check skips a connection used within
    ``DATABASE_HEALTH_CHECK_IDLE_SECONDS``, default 1 s).

    Timeouts, so that a hung database costs a request seconds, not minutes:
    ``DATABASE_CONNECT_TIMEOUT`` (seconds, default 3; libpq's ``connect_timeout``,
    whose least effective value is 2) and ``DATABASE_STATEMENT_TIMEOUT``
    (seconds, default 5; 0 = none). The statement timeout travels in libpq's
    startup ``options`` (``-c statement_timeout=…``) on a direct or session-pooler
    connection. A transaction pooler does not pass startup options on (PgBouncer
    refuses them, Supavisor drops them) and a plain ``SET`` would stick to
    whichever server connection ran it, so there the timeout is a role setting
    on the server (``manage.py set_statement_timeout``), and no ``options`` are
    sent. ``DATABASE_TRANSACTION_POOLER`` says which case applies (default: true
    on port 6543).

    SQLite: IMMEDIATE transactions and a 30 s busy timeout so concurrent
    writers queue instead of failing with "database is locked"; WAL journal.

    Returns: the settings dict for one alias.
    """
    db = env.db_url_config(url)
    db.setdefault("OPTIONS", {})
    if db["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a cheaper per-request health check (see the module).
        db["ENGINE"] = "common.db_backends.postgresql"
        db["HEALTH_CHECK_IDLE_SECONDS"] = env.float("DATABASE_HEALTH_CHECK_IDLE_SECONDS", 1.0)
        db["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DATABASE_DISABLE_SERVER_SIDE_CURSORS", True)
        db["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", 3))
        transaction_pooler = env.bool(
            "DATABASE_TRANSACTION_POOLER",
            default=str(db.get("PORT") or "") == str(SUPABASE_TRANSACTION_POOLER_PORT),
        )
        prepared = env.bool("DATABASE_PREPARED_STATEMENTS", default=not transaction_pooler)
        db["PREPARED_STATEMENTS"] = prepared
        db["OPTIONS"].setdefault("prepare_threshold", PREPARE_WHEN_ASKED if prepared else None)
        statement_timeout_ms = round(env.float("DATABASE_STATEMENT_TIMEOUT", 5.0) * 1000)
        if not transaction_pooler:
            options = db["OPTIONS"].get("options", "")
            if "statement_timeout" not in options:
                db["OPTIONS"]["options"] = (
                    f"{options} -c statement_timeout={statement_timeout_ms}".strip()
                )
        pool_max = env.int("DATABASE_POOL_MAX_SIZE", default=0)
        if pool_max > 0:  # the pool needs CONN_MAX_AGE = 0
            db["OPTIONS"]["pool"] = {
                "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
                "max_size": pool_max,
                "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
            }
            db["CONN_MAX_AGE"] = 0
        else:
            db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        db["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
        db["OPTIONS"].setdefault("timeout", 30)
        db["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")
        # A file, not the shared in-memory DB, so threaded race tests get real
        # locking; one per process so parallel runs do not collide.
        db.setdefault("TEST", {})["NAME"] = os.path.join(
            tempfile.gettempdir(), f"retail-backend-test-{os.getpid()}.sqlite3"
        )
    db["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    db["ATOMIC_REQUESTS"] = False  # services own their transactions
    return db
