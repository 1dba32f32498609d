"""Benchmark (not a test): usage events per second through the batch endpoint, and the
times of the summary, analytics and CSV endpoints on a large generated table.

Two parts, all on this machine (127.0.0.1 only), gunicorn with the production settings:

``ingest``: (re)creates the Postgres database ``--db`` (default ``retail_usage``),
migrates it, starts ``gunicorn config.wsgi -w --workers`` and posts batches of
``--batch`` events (default 1,000) from ``--threads`` client threads for
``--seconds``; events are spread over 1,000 users and six models, every one with
a unique request_id, so every event is priced, inserted and rolled up.

``reads``: against an existing database ``--db`` filled by
``manage.py generate_usage --rows 10000000 --days 90 --users 10000`` (and
migrated to this checkout's schema): times ``GET /api/v1/usage/summary/`` (one
user, 30 days), ``/analytics/`` (the last 30 and 90 days, and the 30 days that
end on the latest 14th of a month: a period cut across two months and several
weeks, the hardest for ``top_users``) and ``/report.csv`` (the last 30 days and
the same mid-month 30 days, the whole download), ``--repeat`` times each, after
``--warmup`` calls (enough to reach every gunicorn worker); reports the median
and the slowest, and the load average before and after.

Run from the project root:
    uv run python bench/usage_bench.py ingest --seconds 30
    uv run python bench/usage_bench.py reads --db bench_10m
Results: bench/results/usage_bench_<part>.json
"""

import argparse
import http.client
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from interactions_bench import PG, ROOT, recreate_database, server_env, wait_ready

MODELS = ["gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "o4-mini", "text-embedding-3-small"]
JWT_SECRET = secrets.token_urlsafe(48)


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603
        [  # noqa: S607
            "uv",
            "run",
            "gunicorn",
            "config.wsgi",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def setup_callers(env: dict, *, role_budget: bool = False) -> tuple[str, str]:
    """An API key and an admin's bearer token (HS256 with the benchmark's secret);
    with ``role_budget``, a monthly budget for the ``user`` role (every event's user)
    with a limit no batch reaches, so that every batch also runs the budget check."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django
    import jwt

    django.setup()
    from django.db import connection
    from rest_framework_api_key.models import APIKey

    from sessions_app.models import UserProfile

    _obj, key = APIKey.objects.create_key(name="usage-bench")
    admin_id = uuid.uuid4()
    UserProfile.objects.create(id=admin_id, role=UserProfile.Role.ADMIN)
    if role_budget:
        from usage.services import budget_create

        budget_create(role="user", limit_usd=10**9, window="monthly")
    connection.close()
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": str(admin_id),
            "aud": "authenticated",
            "role": "authenticated",
            "iss": "http://127.0.0.1:9/auth/v1",
            "iat": now,
            "exp": now + 3600,
        },
        JWT_SECRET,
        algorithm="HS256",
    )
    return key, token


def batch_body(n: int, size: int) -> bytes:
    events = []
    for i in range(size):
        model = MODELS[i % len(MODELS)]
        usage = (
            {"prompt_tokens": 500 + i % 300, "total_tokens": 500 + i % 300}
            if model.startswith("text-embedding")
            else {
                "input_tokens": 1200 + i % 500,
                "input_tokens_details": {"cached_tokens": 1024 if i % 3 == 0 else 0},
                "output_tokens": 300 + i % 200,
                "output_tokens_details": {"reasoning_tokens": 64 if model == "o4-mini" else 0},
                "total_tokens": 1500 + i % 500 + i % 200,
            }
        )
        events.append(
            {
                "request_id": f"bench-{n}-{i}-{uuid.uuid4().hex[:8]}",
                "service": "embeddings" if model.startswith("text-embedding") else "responses",
                "model": model,
                "usage": usage,
                "user_id": f"user-{(n * size + i) % 1000}",
                "latency_ms": 800,
            }
        )
    return json.dumps({"events": events}).encode()


def ingest(args) -> dict:
    env = {**server_env(recreate_database(args.db)), "SUPABASE_JWT_SECRET": JWT_SECRET}
    subprocess.run(
        ["uv", "run", "python", "manage.py", "migrate", "--no-input", "-v", "0"],  # noqa: S607
        cwd=ROOT,
        env=env,
        check=True,
    )
    key, _token = setup_callers(env, role_budget=args.role_budget)
    bodies = [batch_body(n, args.batch) for n in range(args.threads * 4)]
    server = start_gunicorn(env, args.port, args.workers)
    lock = threading.Lock()
    latencies: list[float] = []
    failures: dict[int, int] = {}
    created = 0

    def worker(t: int, deadline: float) -> None:
        nonlocal created
        n = t
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
        while time.monotonic() < deadline:
            # Fresh request ids each time: the bodies are templates, ids made unique here
            # (per round too: the warm-up round must not pre-record the timed one's ids).
            body = bodies[n % len(bodies)].replace(b'"bench-', f'"r{rounds[0]}b{n}x-'.encode())
            n += args.threads
            started = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/usage/events/",
                body=body,
                headers={"Content-Type": "application/json", "X-API-Key": key},
            )
            response = conn.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status == 201:
                    created += json.loads(payload)["created"]
                else:
                    failures[response.status] = failures.get(response.status, 0) + 1
        conn.close()

    rounds = [0]

    def run(seconds: float) -> float:
        rounds[0] += 1
        deadline = time.monotonic() + seconds
        pool = [threading.Thread(target=worker, args=(t, deadline)) for t in range(args.threads)]
        started = time.perf_counter()
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
        return time.perf_counter() - started

    try:
        wait_ready(args.port, timeout=120)
        run(3)  # warm-up
        latencies.clear()
        created = 0
        load_before = os.getloadavg()
        wall = run(args.seconds)
        load_after = os.getloadavg()
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    return {
        "batch_size": args.batch,
        "role_budget": args.role_budget,
        "gunicorn_workers": args.workers,
        "client_threads": args.threads,
        "requests": len(latencies),
        "failures": failures,
        "events_created": created,
        "events_sent": len(latencies) * args.batch,
        "seconds": round(wall, 2),
        "events_per_second": round(created / wall, 1),
        "batch_latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "batch_latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
    }


def reads(args) -> dict:
    env = {
        **server_env(f"{PG}/{args.db}"),
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "SUPABASE_URL": "http://127.0.0.1:9",
    }
    key, token = setup_callers(env)
    today = datetime.now(UTC).date()
    month = {"from": (today - timedelta(days=29)).isoformat(), "to": today.isoformat()}
    quarter = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
    fourteenth = today.replace(day=14)
    if fourteenth > today:
        fourteenth = (fourteenth - timedelta(days=28)).replace(day=14)
    mid_month = {
        "from": (fourteenth - timedelta(days=29)).isoformat(),
        "to": fourteenth.isoformat(),
    }
    admin = {"Authorization": f"Bearer {token}"}
    calls = {
        "summary_one_user_30_days": (
            "/api/v1/usage/summary/",
            {**month, "user_id": "user-4242"},
            {"X-API-Key": key},
        ),
        "analytics_30_days": ("/api/v1/usage/analytics/", month, admin),
        "analytics_90_days": ("/api/v1/usage/analytics/", quarter, admin),
        "analytics_30_days_to_the_14th": ("/api/v1/usage/analytics/", mid_month, admin),
        "report_csv_30_days": ("/api/v1/usage/report.csv", month, admin),
        "report_csv_30_days_to_the_14th": ("/api/v1/usage/report.csv", mid_month, admin),
    }
    server = start_gunicorn(env, args.port, args.workers)
    results: dict = {}
    try:
        wait_ready(args.port, timeout=120)
        load_before = os.getloadavg()
        for name, (path, params, headers) in calls.items():
            query = "&".join(f"{k}={v}" for k, v in params.items())
            times, size = [], 0
            for attempt in range(args.warmup + args.repeat):
                conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=120)
                started = time.perf_counter()
                conn.request("GET", f"{path}?{query}", headers=headers)
                response = conn.getresponse()
                body = response.read()
                elapsed = time.perf_counter() - started
                conn.close()
                if response.status != 200:
                    raise RuntimeError(f"{name}: {response.status} {body[:300]!r}")
                if attempt >= args.warmup:  # warm-up calls: caches, connections, workers
                    times.append(elapsed)
                size = len(body)
            results[name] = {
                "period": params.get("from", "") + " … " + params.get("to", ""),
                "median_ms": round(statistics.median(times) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "bytes": size,
            }
        results["load_average_before_after"] = [
            round(load_before[0], 2),
            round(os.getloadavg()[0], 2),
        ]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["ingest", "reads"])
    parser.add_argument("--db", default=None)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=4, help="untimed calls per endpoint")
    parser.add_argument("--port", type=int, default=8300)
    parser.add_argument(
        "--role-budget", action="store_true", help="ingest: a budget applies to every user"
    )
    args = parser.parse_args()
    args.db = args.db or ("retail_usage" if args.part == "ingest" else "retail_usage_bench")
    result = ingest(args) if args.part == "ingest" else reads(args)
    report = {
        "command": " ".join(["uv run python bench/usage_bench.py", *sys.argv[1:]]),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "result": result,
    }
    suffix = "_role_budget" if args.part == "ingest" and args.role_budget else ""
    out = ROOT / "bench" / "results" / f"usage_bench_{args.part}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
