"""Profile (not a test): where a hot request's time goes, in process, without HTTP.

Calls the WSGI application directly (``config.wsgi``, production settings) for
the hot routes — ``GET /session/restore``, ``POST /session/start`` (a new
phone each time), ``POST /session/update`` and ``POST /api/v1/interactions/``
(with an OpenAI usage object) — on the PostgreSQL database named by
``DATABASE_URL``, which it migrates and fills. For each route it prints the
SQL statements of one request, the mean wall time and this process's CPU time per request in ms over
``--requests`` calls, and, with ``--profile``, cProfile's top functions.

Run from the project root (the database is created when missing, its rows are
left for the next run):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/retail_profile \\
        uv run python bench/profile_hot_paths.py --requests 2000 --profile restore
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import secrets
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USAGE = {
    "prompt_tokens": 1200,
    "completion_tokens": 300,
    "total_tokens": 1500,
    "prompt_tokens_details": {"cached_tokens": 1024},
}


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("STATIC_ROOT", tempfile.mkdtemp(prefix="profile-static-"))
    for name in ("THROTTLE_RATE_API_KEY", "THROTTLE_RATE_CUSTOMER", "THROTTLE_RATE_ANON"):
        os.environ.setdefault(name, "10000000/min")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _environ(method: str, path: str, headers: dict, body: bytes = b"") -> dict:
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "CONTENT_LENGTH": str(len(body)),
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", nargs="*", default=[], help="routes to cProfile")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument(
        "--routes", nargs="*", default=["restore", "start", "update", "interactions"]
    )
    args = parser.parse_args()
    _setup()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework_api_key.models import APIKey

    from config.wsgi import application
    from sessions_app.services import customer_session_start

    _key_row, key = APIKey.objects.create_key(name="profile")
    run = uuid.uuid4().int % 10**6
    tokens = []
    for i in range(200):
        session, _ = customer_session_start(
            phone=f"+9180{run % 1000:03d}{i:05d}", channel="kiosk", customer_id=f"c{i}"
        )
        tokens.append(session.session_token)
    ai_sessions = [str(uuid.uuid4()) for _ in range(20)]
    counter = iter(range(10**9))

    def request(route: str) -> dict:
        n = next(counter)
        if route == "restore":
            return _environ("GET", "/session/restore", {"X-Session-Token": tokens[n % 200]})
        if route == "update":
            body = json.dumps({"metadata": {"cart": [n % 7, 2], "step": n % 5}}).encode()
            return _environ("POST", "/session/update", {"X-Session-Token": tokens[n % 200]}, body)
        if route == "start":
            phone = f"+919{run % 1000:03d}{n:06d}"
            body = json.dumps({"phone": phone, "channel": "kiosk", "customer_id": "c1"})
            return _environ("POST", "/session/start", {"X-API-Key": key}, body.encode())
        body = json.dumps(
            {
                "session_id": ai_sessions[n % 20],
                "prompt": "Do you have running shoes in size 9?",
                "response": "Yes, the AirStride 2 in blue and black.",
                "model_used": "gpt-4o",
                "usage": USAGE,
                "openai_response_id": f"chatcmpl-{uuid.uuid4().hex}",
            }
        )
        return _environ("POST", "/api/v1/interactions/", {"X-API-Key": key}, body.encode())

    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    def call(route: str) -> None:
        response = application(request(route), start_response)
        b"".join(response)
        response.close()

    for route in args.routes:
        for _ in range(50):  # warm-up: imports, connection, caches
            call(route)
        statuses.clear()
        with CaptureQueriesContext(connection) as queries:
            call(route)
        sql = [q["sql"][:110] for q in queries.captured_queries]
        profiler = cProfile.Profile() if route in args.profile else None
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(args.requests):
            call(route)
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        bad = [s for s in statuses if not s.startswith("2")]
        print(
            f"\n== {route}: {elapsed / args.requests * 1000:.3f} ms/request, "
            f"{cpu / args.requests * 1000:.3f} ms CPU of this process, over "
            f"{args.requests} ({len(bad)} non-2xx{', e.g. ' + bad[0] if bad else ''}); "
            f"{len(sql)} SQL statements:"
        )
        for statement in sql:
            print("   ", statement)
        if profiler:
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("tottime").print_stats(args.top)
            stats.sort_stats("cumulative").print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
