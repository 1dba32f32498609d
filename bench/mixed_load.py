"""Benchmark (not a test): a mixed load on gunicorn as configured, then an exact
reconciliation of the database against the answers.

All on this machine (127.0.0.1 only):
1. (re)creates the PostgreSQL database ``--db`` and migrates it; makes an API key;
2. starts ``gunicorn config.wsgi`` with the project's gunicorn.conf.py and the
   production settings (HS256 Supabase tokens with a throw-away secret);
3. for ``--seconds`` (default 60) ``--threads`` client threads run a mix of calls:
   customer session start / restore / update (channel API key, session token),
   AI interactions with usage (API key), and signed-in users' session start and
   heartbeats (Bearer token);
4. stops gunicorn and reconciles: the rows in ``sessions``, ``ai_sessions``,
   ``ai_interactions``, ``usage_logs``, ``user_sessions``, the metadata keys written
   by updates and the heartbeats' activity counts must equal what the 2xx answers
   said was written, exactly;
5. prints and writes the figures (bench/results/mixed_load.json): throughput,
   p50/p99 per call kind and overall, answers by status.

Run from the project root (exits 1 when the reconciliation fails):
    uv run python bench/mixed_load.py --seconds 60 --threads 12
"""

import argparse
import http.client
import json
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from pathlib import Path

import jwt
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
ISSUER = "https://bench.supabase.invalid/auth/v1"
USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1024},
}
# Relative weights of the calls in the mix.
MIX = {
    "session_start": 2,
    "session_restore": 4,
    "session_update": 3,
    "interaction": 4,
    "user_session_start": 1,
    "heartbeat": 4,
}


def free_port(first: int = 8400, last: int = 8499) -> int:
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port")


def recreate_database(name: str) -> str:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


class Client:
    """One keep-alive-free HTTP client; records (kind, status, seconds)."""

    def __init__(self, port: int, results: list):
        self.port = port
        self.results = results

    def call(self, kind: str, method: str, path: str, body=None, headers=None):
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(
                method,
                path,
                body=None if body is None else json.dumps(body),
                headers={"Content-Type": "application/json", **(headers or {})},
            )
            response = conn.getresponse()
            status, data = response.status, response.read()
        except OSError:
            status, data = 0, b""
        finally:
            conn.close()
        self.results.append((kind, status, time.perf_counter() - started))
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None


def warm_up(port: int, timeout: float = 120.0) -> None:
    """Wait until every worker has booted: rounds of concurrent readyz calls until a
    whole round answers 200 quickly (a booting worker holds its calls for seconds)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        timings: list = []
        calls = [
            threading.Thread(target=Client(port, timings).call, args=("ready", "GET", "/readyz"))
            for _ in range(32)
        ]
        for call in calls:
            call.start()
        for call in calls:
            call.join()
        if all(status == 200 and seconds < 0.5 for _, status, seconds in timings):
            return
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not become ready")


def run_load(port: int, api_key: str, jwt_secret: str, seconds: float, threads: int) -> dict:
    """Run the mix; return the answers and what they said was written."""
    results: list = []
    written = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    kinds, weights = zip(*MIX.items(), strict=True)

    def worker(n: int) -> None:
        rng = random.Random(n)  # noqa: S311 (load mix, not security)
        client = Client(port, results)
        key = {"X-API-Key": api_key}
        tokens: list[str] = []  # customer session tokens this thread started
        chats: list[str] = []  # AI session ids this thread used
        user_id = str(uuid.uuid4())
        bearer = {
            "Authorization": "Bearer "
            + jwt.encode(
                {
                    "iss": ISSUER,
                    "aud": "authenticated",
                    "sub": user_id,
                    "role": "authenticated",
                    "iat": int(time.time()),
                    "exp": int(time.time()) + 3600,
                },
                jwt_secret,
                "HS256",
            )
        }
        user_sessions: list[str] = []
        i = 0
        while time.monotonic() < deadline:
            i += 1
            kind = rng.choices(kinds, weights)[0]
            if kind in ("session_restore", "session_update") and not tokens:
                kind = "session_start"
            if kind == "heartbeat" and not user_sessions:
                kind = "user_session_start"
            count = Counter()
            if kind == "session_start":
                status, body = client.call(
                    kind,
                    "POST",
                    "/session/start",
                    {
                        "phone": f"+9197{n:03d}{i:05d}",
                        "channel": rng.choice(["kiosk", "whatsapp", "website", "chat"]),
                        "customer_id": f"c{n}-{i}",
                    },
                    key,
                )
                if status == 201:
                    tokens.append(body["session_token"])
                    count["sessions"] += 1
            elif kind == "session_restore":
                client.call(
                    kind, "GET", "/session/restore", None, {"X-Session-Token": rng.choice(tokens)}
                )
            elif kind == "session_update":
                status, _ = client.call(
                    kind,
                    "POST",
                    "/session/update",
                    {"metadata": {f"k{n}_{i}": True}},
                    {"X-Session-Token": rng.choice(tokens)},
                )
                if status == 200:
                    count["metadata_keys"] += 1
            elif kind == "interaction":
                new_chat = not chats or rng.random() < 0.2
                session_id = str(uuid.uuid4()) if new_chat else rng.choice(chats)
                status, _ = client.call(
                    kind,
                    "POST",
                    "/api/v1/interactions/",
                    {
                        "session_id": session_id,
                        "prompt": "Do you have running shoes in size 9?",
                        "response": "Yes, the AirStride 2 in blue and black.",
                        "model_used": "gpt-4o",
                        "usage": USAGE,
                        "openai_response_id": f"resp_{uuid.uuid4().hex}",
                    },
                    key,
                )
                if status == 201:
                    count["ai_interactions"] += 1
                    count["usage_logs"] += 1
                    if session_id not in chats:
                        chats.append(session_id)
                        count["ai_sessions"] += 1
            elif kind == "user_session_start":
                session_id = f"bench-{uuid.uuid4()}"
                status, body = client.call(
                    kind,
                    "POST",
                    "/api/v1/user-sessions/",
                    {"session_id": session_id, "platform": "web"},
                    bearer,
                )
                if status == 201:
                    user_sessions.append(session_id)
                    count["user_sessions"] += 1
                    count["activity"] += body["activity_count"]
            elif kind == "heartbeat":
                status, _ = client.call(
                    kind,
                    "POST",
                    f"/api/v1/user-sessions/{rng.choice(user_sessions)}/heartbeat/",
                    {},
                    bearer,
                )
                if status == 200:
                    count["activity"] += 1
            with lock:
                written.update(count)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {"results": results, "written": written, "wall": time.perf_counter() - started}


def stored(database_url: str) -> Counter:
    """What the database holds, counted the way ``written`` counts it."""
    with psycopg.connect(database_url) as conn:
        one = lambda sql: int(conn.execute(sql).fetchone()[0] or 0)  # noqa: E731
        return Counter(
            {
                "sessions": one("SELECT count(*) FROM sessions"),
                "metadata_keys": one(
                    "SELECT sum((SELECT count(*) FROM jsonb_object_keys(metadata))) FROM sessions"
                ),
                "ai_sessions": one("SELECT count(*) FROM ai_sessions"),
                "ai_interactions": one("SELECT count(*) FROM ai_interactions"),
                "usage_logs": one("SELECT count(*) FROM usage_logs"),
                "user_sessions": one("SELECT count(*) FROM user_sessions"),
                "activity": one("SELECT sum(activity_count) FROM user_sessions"),
            }
        )


def percentile(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return round(sorted_values[index] * 1000, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--threads", type=int, default=12, help="client threads")
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "retail_bench_mixed"))
    args = parser.parse_args()

    database_url = recreate_database(args.db)
    port = free_port()
    jwt_secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "SUPABASE_JWT_SECRET": jwt_secret,
        "SUPABASE_JWT_ISSUER": ISSUER,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESSLOG": "",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
    created = subprocess.run(  # noqa: S603
        [*manage, "create_api_key", "bench"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    api_key = created.stdout.strip().splitlines()[-1]

    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "config.wsgi"], cwd=ROOT, env=env)
    try:
        warm_up(port)
        load = run_load(port, api_key, jwt_secret, args.seconds, args.threads)
    finally:
        server.terminate()
        server.wait(timeout=60)

    results = load["results"]
    by_kind = defaultdict(list)
    for kind, _status, seconds in results:
        by_kind[kind].append(seconds)
    everything = sorted(s for _, _, s in results)
    ok = sum(1 for _, status, _ in results if 200 <= status < 300)
    in_db = stored(database_url)
    written = load["written"]
    report = {
        "command": " ".join(["uv run python bench/mixed_load.py", *sys.argv[1:]]),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "gunicorn": "gunicorn.conf.py defaults (workers = 2 x CPUs, 4 threads each)",
        "client_threads": args.threads,
        "seconds": round(load["wall"], 1),
        "requests": len(results),
        "requests_per_second": round(len(results) / load["wall"], 1),
        "answers": dict(sorted(Counter(str(s) for _, s, _ in results).items())),
        "latency_ms": {"p50": percentile(everything, 0.5), "p99": percentile(everything, 0.99)},
        "latency_ms_by_call": {
            kind: {
                "calls": len(values),
                "p50": percentile(sorted(values), 0.5),
                "p99": percentile(sorted(values), 0.99),
                "mean": round(statistics.fmean(values) * 1000, 1),
            }
            for kind, values in sorted(by_kind.items())
        },
        "written_by_2xx": dict(sorted(written.items())),
        "stored": dict(sorted(in_db.items())),
        "reconciled": written == in_db and ok == len(results),
    }
    out = ROOT / "bench" / "results" / "mixed_load.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["reconciled"] else 1


if __name__ == "__main__":
    sys.exit(main())
