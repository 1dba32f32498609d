"""Benchmark (not a test): the cost of one rate-limit check, per cache backend.

Times ``common.throttling.counter_hit`` (what every API request pays) on the
database cache (``django_cache`` on PostgreSQL, one ``INSERT … ON CONFLICT DO
UPDATE … RETURNING``) and on Redis (one ``EVAL`` of an ``INCR`` + ``PTTL`` +
``EXPIRE`` script, its reply parsed by hiredis), sequentially from one thread,
on loopback, and writes the figures to bench/results/throttle_bench.json.

Run from the project root (uses the PostgreSQL database ``BENCH_DB``, default
``retail_throttle_bench``, created and migrated, and Redis database 15):
    uv run python bench/throttle_bench.py --checks 5000
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def recreate_database(name: str, *, create: bool = True) -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=5000)
    args = parser.parse_args()
    db = os.environ.get("BENCH_DB", "retail_throttle_bench")
    recreate_database(db)
    os.environ["DATABASE_URL"] = f"{PG}/{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import caches
    from django.core.management import call_command

    from common.throttling import counter_hit

    call_command("migrate", verbosity=0)
    settings.CACHES["bench_redis"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS,
        "KEY_PREFIX": "throttle-bench",
    }
    results = {}
    for name, alias in (("database (PostgreSQL)", "throttle"), ("redis", "bench_redis")):
        cache = caches[alias]
        counter_hit(cache, "warm-up", 60)
        times = []
        for i in range(args.checks):
            key = f"caller-{i % 50}"  # 50 callers, each hit many times
            start = time.perf_counter()
            counter_hit(cache, key, 60)
            times.append((time.perf_counter() - start) * 1e6)
        times.sort()
        results[name] = {
            "checks": args.checks,
            "p50_us": round(statistics.median(times)),
            "p99_us": round(times[int(len(times) * 0.99)]),
            "mean_us": round(statistics.fmean(times)),
        }
        if alias == "bench_redis":
            cache.clear()
    from django.db import connections

    connections.close_all()
    recreate_database(db, create=False)
    print(json.dumps(results, indent=2))
    out = ROOT / "bench" / "results" / "throttle_bench.json"
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
