"""Benchmark (not a test): the admin dashboard's render time and query count on large tables.

What it does, on this machine's PostgreSQL (127.0.0.1):
1. (re)creates the database ``--db`` (default ``$BENCH_DB`` or ``retail_dashboard``)
   and migrates it; with ``--fill-missing`` it keeps the database (for example
   ``bench_10m``, filled by ``manage.py generate_usage``), migrates it to this
   checkout's schema and fills only the tables holding fewer rows than asked for;
2. fills it with ``generate_series`` (never row by row), in time order as a live
   table fills: ``--usage-rows`` usage rows over 90 days for 10,000 users and 6
   models (1 % unpriced), ``--sessions`` customer sessions over 90 days on the four
   channels (those of the last 7 days active), ``--interactions`` AI interactions
   over 30 days in ``--interactions // 10`` AI sessions, 10,000 user profiles with
   one user session each (10 % active); then ``ANALYZE``;
3. renders ``/admin/`` as a superuser through Django's full stack (test client):
   one render with the cache of past days empty (``cold_render_ms``, after an
   untimed first render), ``--warmup`` renders, then
   ``--runs`` timed ones; reports median / p95 / max in milliseconds, the number
   of SQL queries, and the time of every query of one render;
4. prints the figures and writes them to ``bench/results/dashboard.json``.

Run from the project root (about 10 minutes for the full size on 2 cores):
    uv run python bench/dashboard_bench.py --usage-rows 10000000 --sessions 1000000
On the shared 10-million-row usage database (adds the sessions, interactions and
profiles it lacks, about 2 minutes the first time):
    uv run python bench/dashboard_bench.py --db bench_10m --fill-missing
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

FILL_SQL = [
    (
        "usage_logs",
        """
        INSERT INTO usage_logs (id, user_id, service, provider, request_model, response_model,
            input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens,
            total_tokens, cost_usd, price_source, price_unknown, latency_ms, status,
            request_id, created_at, metadata)
        SELECT gen_random_uuid(),
               md5('user' || (i %% 10000))::uuid::text,
               'responses', 'openai', m.model, m.model,
               1200, 1024, 300, 0, 1500,
               CASE WHEN i %% 100 = 0 THEN NULL ELSE round((random() * 0.01)::numeric, 8) END,
               'genai-prices', i %% 100 = 0, 800, 'success',
               'bench-' || i,
               now() - interval '90 days' * (1 - i::float8 / %(total)s),
               '{}'::jsonb
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        CROSS JOIN LATERAL (SELECT (ARRAY['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini',
               'o4-mini', 'text-embedding-3-small'])[1 + (i %% 6)] AS model) AS m
        """,
    ),
    (
        "sessions",
        """
        INSERT INTO sessions (session_id, customer_id, phone, channel, session_token, status,
            created_at, last_activity, expires_at, metadata)
        SELECT gen_random_uuid(), i::text, '+91' || (9000000000 + i)::text,
               (ARRAY['whatsapp', 'kiosk', 'website', 'chat'])[1 + (i %% 4)],
               md5(random()::text) || md5(i::text),
               CASE WHEN t.created > now() - interval '7 days' THEN 'active' ELSE 'expired' END,
               t.created, t.created + interval '10 minutes',
               t.created + interval '10 minutes' + interval '7 days',
               '{}'::jsonb
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        CROSS JOIN LATERAL (SELECT now() - interval '90 days' * (1 - i::float8 / %(total)s)
                            AS created) AS t
        """,
    ),
    (
        "ai_sessions",
        """
        INSERT INTO ai_sessions (id, user_id, created_at, updated_at, channel, interaction_count)
        SELECT md5('ai' || i)::uuid, md5('user' || (i %% 10000))::uuid::text,
               now() - random() * interval '30 days', now(), 'website', 10
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        """,
    ),
    (
        "ai_interactions",
        """
        INSERT INTO ai_interactions (id, session_id, prompt, response, model_used, tokens_used,
            created_at, metadata)
        SELECT gen_random_uuid(), md5('ai' || (i / 10))::uuid, 'Question?', 'Answer.',
               (ARRAY['gpt-4o', 'gpt-4o-mini', 'gpt-4.1'])[1 + (i %% 3)], 1500,
               now() - interval '30 days' * (1 - i::float8 / %(total)s), '{}'::jsonb
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        """,
    ),
    (
        "user_profiles",
        """
        INSERT INTO user_profiles (id, email, role, registration_source, created_at, last_seen_at)
        SELECT md5('user' || i)::uuid, 'user' || i || '@example.com', 'user', 'web', now(), now()
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        """,
    ),
    (
        "user_sessions",
        """
        INSERT INTO user_sessions (id, user_id, session_id, platform, status, started_at,
            last_activity_at)
        SELECT gen_random_uuid(), md5('user' || i)::uuid, 'bench-' || i,
               (ARRAY['web', 'ios-external', 'ios-internal', 'ios-widget',
                      'macos-internal'])[1 + (i %% 5)],
               CASE WHEN i %% 10 = 0 THEN 'active' ELSE 'ended' END,
               now() - random() * interval '2 hours', now()
        FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
        """,
    ),
]

BATCH = 1_000_000


def recreate_database(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def fill(url: str, sizes: dict[str, int], *, only_missing: bool = False) -> dict[str, float]:
    """Insert the rows in batches of ``BATCH``; returns seconds per table filled.

    ``only_missing``: leave every table that already holds as many rows as asked for
    as it is (fill the others).
    """
    import psycopg

    seconds = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table, sql in FILL_SQL:
            total = sizes[table]
            if only_missing:
                count = f'SELECT count(*) FROM "{table}"'  # noqa: S608 (our table names)
                present = conn.execute(count).fetchone()[0]
                if present >= total:
                    print(f"  {table}: {present:,} rows kept", flush=True)
                    continue
            started = time.perf_counter()
            # Secondary indexes are dropped while filling and built once afterwards
            # (the constraints' own indexes stay).
            indexes = conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname"
                " NOT IN (SELECT conname FROM pg_constraint)",
                [table],
            ).fetchall()
            for index_name, _definition in indexes:
                conn.execute(f'DROP INDEX "{index_name}"')
            for first in range(0, total, BATCH):
                last = min(first + BATCH, total) - 1
                conn.execute(sql, {"first": first, "last": last, "total": total})
            for _index_name, definition in indexes:
                conn.execute(definition)
            seconds[table] = round(time.perf_counter() - started, 1)
            print(f"  {table}: {total:,} rows in {seconds[table]} s", flush=True)
        conn.execute("VACUUM ANALYZE")
    return seconds


def measure(runs: int, warmup: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "bench-pw")
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    timings: list[tuple[float, str]] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(((time.perf_counter() - started) * 1000, sql))

    def slowest(count: int) -> list[dict]:
        ranked = sorted(timings, key=lambda item: item[0], reverse=True)[:count]
        return [{"ms": round(ms, 1), "sql": " ".join(sql.split())[:160]} for ms, sql in ranked]

    # One render loads templates and code; the cold render then finds them loaded,
    # and only the cache of past days empty.
    assert client.get("/admin/").status_code == 200
    cache.clear()
    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        assert client.get("/admin/").status_code == 200
    cold = (time.perf_counter() - started) * 1000
    cold_queries = slowest(4)
    timings.clear()
    for _ in range(warmup):
        assert client.get("/admin/").status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get("/admin/")
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timed):
        client.get("/admin/")
    times.sort()
    return {
        "cold_render_ms": round(cold, 1),
        "cold_render_slowest_queries_ms": cold_queries,
        "render_ms": {
            "median": round(statistics.median(times), 1),
            "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 1),
            "max": round(times[-1], 1),
        },
        "queries_per_render": len(captured.captured_queries),
        "queries_ms_total": round(sum(ms for ms, _sql in timings), 1),
        "queries_ms": slowest(len(timings)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "retail_dashboard"))
    parser.add_argument("--usage-rows", type=int, default=10_000_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--reuse", action="store_true", help="keep the filled database as it is")
    mode.add_argument(
        "--fill-missing",
        action="store_true",
        help="keep the database, migrate it, fill only the tables with fewer rows than asked",
    )
    args = parser.parse_args()

    url = f"{PG}/{args.db}"
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    sizes = {
        "usage_logs": args.usage_rows,
        "sessions": args.sessions,
        "ai_interactions": args.interactions,
        "ai_sessions": max(1, args.interactions // 10),
        "user_profiles": 10_000,
        "user_sessions": 10_000,
    }
    fill_seconds = None
    import psycopg

    if not args.reuse:
        import subprocess

        if not args.fill_missing:
            recreate_database(args.db)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True
        )
        print("filling:", flush=True)
        fill_seconds = fill(url, sizes, only_missing=args.fill_missing)
        if "usage_logs" in fill_seconds:
            # The dashboard reads usage from the rollups: compute them from the raw rows
            # with usage's own command (one set-based INSERT … SELECT per UTC day).
            since = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 91 * 86400))
            rebuild = [sys.executable, "manage.py", "rebuild_usage_rollups", "--since", since]
            subprocess.run(rebuild, cwd=ROOT, check=True)  # noqa: S603 (our own command)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM auth_user WHERE username = 'bench'")
        rows = {
            table: conn.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
            ).fetchone()[0]
            for table in [*sizes, "usage_daily", "usage_daily_models", "usage_monthly"]
        }
    load_before = os.getloadavg()
    measured = measure(args.runs, args.warmup)
    result = {
        "machine": f"{platform.system()} {os.cpu_count()} CPUs, PostgreSQL on 127.0.0.1",
        "database": args.db,
        "rows_estimated": rows,
        "fill_seconds": fill_seconds,
        "load_average_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        **measured,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results" / "dashboard.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
