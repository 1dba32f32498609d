"""Benchmark (not a test): interactions logged per second through the HTTP API,
and SQL statements per logged interaction.

What it does, all on this machine (127.0.0.1 only):
1. (re)creates the Postgres database ``BENCH_DB`` (default ``retail_h3_bench``) and
   migrates it;
2. counts the SQL statements of one ``ai_interaction_log`` service call and of one
   ``POST /api/v1/interactions/`` request (django.test.utils.CaptureQueriesContext);
3. starts ``gunicorn config.wsgi -w 2`` with the production settings, then posts
   ``--requests`` interactions (or for at most ``--seconds``) from ``--threads``
   client threads, each with an OpenAI usage object so every request also prices
   and writes a usage row; sessions are a mix of new ids and existing ones;
4. stops gunicorn and prints/writes the figures as JSON (bench/results/).

Run from the project root:
    uv run python bench/interactions_bench.py --requests 3000 --threads 8
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
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1024},
    "completion_tokens_details": {"reasoning_tokens": 0},
}


def recreate_database(name: str) -> str:
    """Drop and create the benchmark database; return its URL."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def server_env(database_url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        # No collectstatic for an API benchmark; an empty dir keeps WhiteNoise quiet.
        "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
    }


def count_statements(env: dict) -> dict:
    """SQL statements of one logged interaction: via the service and via the API."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient
    from rest_framework_api_key.models import APIKey

    from interactions.services import ai_interaction_log, ai_session_get_or_create

    def statements(queries) -> list[str]:
        return [q["sql"] for q in queries.captured_queries]

    session, _ = ai_session_get_or_create(user_id="bench")
    with CaptureQueriesContext(connection) as service_existing:
        ai_interaction_log(
            session_id=session.pk,
            prompt="p",
            response="r",
            model_used="gpt-4o",
            usage=USAGE,
            request_id=f"bench-{uuid.uuid4()}",
        )
    with CaptureQueriesContext(connection) as service_new:
        ai_interaction_log(
            session_id=uuid.uuid4(),
            prompt="p",
            response="r",
            model_used="gpt-4o",
            usage=USAGE,
            request_id=f"bench-{uuid.uuid4()}",
        )
    _obj, key = APIKey.objects.create_key(name="bench")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key)
    body = {
        "session_id": str(session.pk),
        "prompt": "Do you have running shoes in size 9?",
        "response": "Yes, the AirStride 2 in blue and black.",
        "model_used": "gpt-4o",
        "usage": USAGE,
        "openai_response_id": f"chatcmpl-{uuid.uuid4().hex}",
    }
    with CaptureQueriesContext(connection) as api:
        response = client.post("/api/v1/interactions/", body, format="json", HTTP_HOST="127.0.0.1")
    assert response.status_code == 201, response.content
    connection.close()
    return {
        "api_key": key,
        "service_existing_session": len(statements(service_existing)),
        "service_new_session": len(statements(service_new)),
        "api_request": len(statements(api)),
        "api_request_sql": [s[:90] for s in statements(api)],
    }


def wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not become ready")


def load(port: int, key: str, total: int, seconds: float, threads: int) -> dict:
    """Post interactions from ``threads`` threads until ``total`` or ``seconds``."""
    lock = threading.Lock()
    sent = 0
    latencies: list[float] = []
    failures: dict[int, int] = {}
    deadline = time.monotonic() + seconds

    def worker(n: int) -> None:
        nonlocal sent
        sessions = [str(uuid.uuid4()) for _ in range(5)]
        i = 0
        while True:
            with lock:
                if sent >= total or time.monotonic() > deadline:
                    return
                sent += 1
            # Every 10th request starts a new session; the rest continue one of five.
            session_id = str(uuid.uuid4()) if i % 10 == 0 else sessions[i % 5]
            i += 1
            body = json.dumps(
                {
                    "session_id": session_id,
                    "prompt": "Do you have running shoes in size 9?",
                    "response": "Yes, the AirStride 2 in size 9 is in stock in blue and black.",
                    "model_used": "gpt-4o",
                    "usage": USAGE,
                    "latency_ms": 900,
                    # The AI backend's response id: the usage row's request_id.
                    "openai_response_id": f"chatcmpl-{uuid.uuid4().hex}",
                }
            )
            started = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "POST",
                "/api/v1/interactions/",
                body=body,
                headers={"Content-Type": "application/json", "X-API-Key": key},
            )
            status = conn.getresponse().status
            conn.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if status != 201:
                    failures[status] = failures.get(status, 0) + 1

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
        "seconds": round(wall, 2),
        "interactions_per_second": round((len(latencies) - sum(failures.values())) / wall, 1),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p95": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="at most this many POSTs")
    parser.add_argument("--seconds", type=float, default=60.0, help="at most this long")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "retail_h3_bench"))
    args = parser.parse_args()

    database_url = recreate_database(args.db)
    env = server_env(database_url)
    # Fixed argv, no shell; `uv` from PATH as in every other command of the project.
    subprocess.run(
        ["uv", "run", "python", "manage.py", "migrate", "--no-input", "-v", "0"],  # noqa: S607
        cwd=ROOT,
        env=env,
        check=True,
    )
    counts = count_statements(env)
    key = counts.pop("api_key")

    server = subprocess.Popen(  # noqa: S603
        [  # noqa: S607
            "uv",
            "run",
            "gunicorn",
            "config.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_ready(args.port)
        load(args.port, key, min(100, args.requests), 10, args.threads)  # warm-up
        result = load(args.port, key, args.requests, args.seconds, args.threads)
    finally:
        server.terminate()
        server.wait(timeout=30)

    report = {
        "command": " ".join(["uv run python bench/interactions_bench.py", *sys.argv[1:]]),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "gunicorn_workers": args.workers,
        "client_threads": args.threads,
        "sql_statements_per_interaction": counts,
        "load": result,
    }
    out = ROOT / "bench" / "results" / "interactions_bench.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
