"""Benchmark (not a test): document upload throughput, and the document list's
response time with 100,000 documents in the table.

What it does, all on this machine (127.0.0.1 only):
1. (re)creates the Postgres database ``--db`` (default ``retail_documents``) and
   migrates it;
2. starts the test suite's OpenAI stand-in (``tests/fake_openai.py``) in this
   process, optionally answering each call after ``--openai-latency-ms``, and
   ``gunicorn config.wsgi`` (production settings, ``--workers`` sync workers)
   pointed at it with real HS256 Supabase-style tokens;
3. uploads ``--uploads`` distinct PDFs of ``--size-kib`` KiB from ``--threads``
   client threads (8 users): POST /api/v1/documents/ → files.create +
   vector_stores.files.create on the stand-in → rows; reports uploads/s and
   latency;
4. adds documents with COPY until the table holds ``--documents`` (default
   100,000): one heavy user owns half, the rest is spread over 999 users, and
   a typical user has 500 documents shared with them; 1% failed, 1% deleted;
   ANALYZE;
5. times ``--requests`` sequential GET /api/v1/documents/ (first page of 50,
   and page 20 through the cursors) for a typical user, the heavy user and an
   admin, and the ``?status=`` filters; prints/writes the figures as JSON
   (bench/results/documents_bench.json) with the main query's plan.

The stand-in answers in microseconds, so the upload figure is this service's
own cost per upload; with OpenAI's real latency (hundreds of ms per call) the
throughput is bounded by workers x threads / latency instead
(``--openai-latency-ms`` shows it).

Run from the project root:
    uv run python bench/documents_bench.py
"""

import argparse
import hashlib
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jwt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
SUPABASE_URL = "http://127.0.0.1:9"  # nothing listens: HS256 tokens need no JWKS
JWT_SECRET = secrets.token_urlsafe(48)

from tests.fake_openai import API_KEY, FakeOpenAI  # noqa: E402


def recreate_database(name: str) -> str:
    """Drop and create the benchmark database; return its URL."""
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG}/{name}"


def token(sub: str) -> str:
    now = int(time.time())
    claims = {
        "iss": f"{SUPABASE_URL}/auth/v1",
        "aud": "authenticated",
        "sub": sub,
        "exp": now + 3 * 3600,
        "iat": now,
        "role": "authenticated",
        "email": f"{sub[:8]}@bench.example",
        "is_anonymous": False,
        "app_metadata": {"provider": "email"},
    }
    return jwt.encode(claims, JWT_SECRET, "HS256")


def server_env(database_url: str, fake: FakeOpenAI) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": tempfile.mkdtemp(prefix="bench-static-"),
        "SUPABASE_URL": SUPABASE_URL,
        "SUPABASE_JWT_SECRET": JWT_SECRET,
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_VECTOR_STORE_ID": "vs_bench",
        "OPENAI_MAX_RETRIES": "0",
    }


def wait_ready(port: int, timeout: float = 120.0) -> None:
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


def multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * share) - 1)]


def uploads(port: int, total: int, threads: int, size_kib: int) -> dict:
    """POST ``total`` distinct PDFs from ``threads`` threads, 8 users."""
    tokens = [token(str(uuid.uuid4())) for _ in range(8)]
    lock = threading.Lock()
    sent = 0
    latencies: list[float] = []
    failures: dict[int, int] = {}
    filler = b"x" * (size_kib * 1024)

    def worker(n: int) -> None:
        nonlocal sent
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if sent >= total:
                    break
                sent += 1
                i = sent
            content = b"%PDF-1.7\n" + f"{uuid.uuid4()} {i}\n".encode() + filler
            body, content_type = multipart(f"doc-{i}.pdf", content)
            started = time.perf_counter()
            conn.request(
                "POST",
                "/api/v1/documents/",
                body=body,
                headers={
                    "Content-Type": content_type,
                    "Authorization": f"Bearer {tokens[i % len(tokens)]}",
                },
            )
            response = conn.getresponse()
            response.read()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if response.status != 201:
                    failures[response.status] = failures.get(response.status, 0) + 1
        conn.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "uploads": len(latencies),
        "failures": failures,
        "seconds": round(wall, 2),
        "uploads_per_second": round((len(latencies) - sum(failures.values())) / wall, 1),
        "latency_ms_p50": round(statistics.median(latencies) * 1000, 1),
        "latency_ms_p95": round(percentile(latencies, 0.95) * 1000, 1),
    }


def seed(database_url: str, total: int) -> dict:
    """COPY documents until the table holds ``total``; returns the users to time."""
    import psycopg

    heavy, typical, admin, newcomer = (uuid.uuid4() for _ in range(4))
    others = [uuid.uuid4() for _ in range(997)]
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        existing = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        to_add = max(0, total - existing)
        with conn.cursor() as cur:
            with cur.copy("COPY user_profiles (id, email, role) FROM STDIN") as copy:
                copy.write_row((heavy, "heavy@bench.example", "user"))
                copy.write_row((typical, "typical@bench.example", "user"))
                copy.write_row((admin, "admin@bench.example", "admin"))
                copy.write_row((newcomer, "newcomer@bench.example", "user"))
                for user in others:
                    copy.write_row((user, f"{user.hex[:8]}@bench.example", "user"))
            columns = (
                "id, user_id, title, filename, content_type, size_bytes, sha256, "
                "openai_file_id, vector_store_id, status, last_error, created_at, updated_at"
            )
            shared_pool = []
            with cur.copy(f"COPY documents ({columns}) FROM STDIN") as copy:
                for i in range(to_add):
                    if i in (10, 21, 33):  # the oldest rows: the worst case for a scan
                        owner = newcomer
                    elif i % 2 == 0:
                        owner = heavy
                    elif i % 1000 == 1:
                        owner = typical
                    else:
                        owner = others[i % len(others)]
                    status = "failed" if i % 100 == 3 else "deleted" if i % 100 == 7 else "ready"
                    created = now - timedelta(seconds=(to_add - i) * 30)
                    document_id = uuid.uuid4()
                    if owner not in (heavy, typical) and status == "ready" and i % 90 == 5:
                        shared_pool.append(document_id)
                    copy.write_row(
                        (
                            document_id,
                            owner,
                            f"Document {i}",
                            f"document-{i}.pdf",
                            "application/pdf",
                            100_000 + i,
                            hashlib.sha256(document_id.bytes).hexdigest(),
                            f"file-bench{i:08d}",
                            "vs_bench",
                            status,
                            "invalid_file: bench" if status == "failed" else "",
                            created,
                            created,
                        )
                    )
            with cur.copy(
                "COPY document_access (document_id, user_id, permission, granted_at) FROM STDIN"
            ) as copy:
                for document_id in shared_pool[:500]:
                    copy.write_row((document_id, typical, "read", now))
        conn.execute("ANALYZE")
        counts = dict(conn.execute("SELECT status, count(*) FROM documents GROUP BY 1").fetchall())
        shared = conn.execute(
            "SELECT count(*) FROM document_access WHERE user_id = %s", [typical]
        ).fetchone()[0]
    return {
        "users": {
            "heavy": str(heavy),
            "typical": str(typical),
            "newcomer": str(newcomer),
            "admin": str(admin),
        },
        "documents_by_status": counts,
        "typical_user_shared_documents": shared,
    }


def timed_gets(port: int, bearer: str, path: str, requests: int, pages: int = 1) -> dict:
    """``requests`` sequential GETs of ``path`` (following ``next`` ``pages - 1``
    times: the time of the last page is what is measured)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {bearer}"}

    def get(target: str) -> dict:
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{target}: {response.status} {body[:200]!r}")
        return json.loads(body)

    target = path
    for _ in range(pages - 1):
        nxt = get(target)["next"]
        parts = urlsplit(nxt)
        target = f"{parts.path}?{parts.query}"
    for _ in range(5):  # warm-up
        get(target)
    latencies = []
    rows = 0
    for _ in range(requests):
        started = time.perf_counter()
        body = get(target)
        rows = len(body["results"] if "results" in body else body["document_ids"])
        latencies.append(time.perf_counter() - started)
    conn.close()
    return {
        "rows": rows,
        "ms_p50": round(statistics.median(latencies) * 1000, 1),
        "ms_p95": round(percentile(latencies, 0.95) * 1000, 1),
    }


def explain(database_url: str, users: dict) -> dict:
    """The plans of the first page's query in its two forms (documents.selectors):
    by id set for a user who may read few documents, newest-first scan for one who
    may read many."""
    import psycopg

    head = "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) SELECT * FROM documents d WHERE "
    tail = " AND NOT (d.status = 'deleted') ORDER BY d.created_at DESC LIMIT 51"
    by_ids = (
        "d.id IN ((SELECT id FROM documents WHERE user_id = %(u)s) UNION ALL "
        "(SELECT document_id FROM document_access WHERE user_id = %(u)s))"
    )
    by_scan = (
        "(d.user_id = %(u)s OR EXISTS (SELECT 1 FROM document_access a "
        "WHERE a.document_id = d.id AND a.user_id = %(u)s))"
    )
    plans = {}
    with psycopg.connect(database_url) as conn:
        for name, where, user in (
            ("typical user (id set)", by_ids, users["typical"]),
            ("newcomer (id set)", by_ids, users["newcomer"]),
            ("heavy user (newest-first scan)", by_scan, users["heavy"]),
        ):
            rows = conn.execute(head + where + tail, {"u": user}).fetchall()
            plans[name] = [row[0] for row in rows]
    return plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=400)
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--size-kib", type=int, default=64, help="size of each upload")
    parser.add_argument("--openai-latency-ms", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--gunicorn-threads", type=int, default=1)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="GETs per list case")
    parser.add_argument("--port", type=int, default=8210)
    parser.add_argument("--db", default=os.environ.get("BENCH_DB", "retail_documents"))
    args = parser.parse_args()

    database_url = recreate_database(args.db)
    fake = FakeOpenAI().start()
    fake.vector_store_create("vs_bench")
    fake.delay = args.openai_latency_ms / 1000
    env = server_env(database_url, fake)
    subprocess.run(
        ["uv", "run", "python", "manage.py", "migrate", "--no-input", "-v", "0"],  # noqa: S607
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(  # noqa: S603
        [  # noqa: S607
            "uv",
            "run",
            "gunicorn",
            "config.wsgi",
            "-w",
            str(args.workers),
            "--threads",
            str(args.gunicorn_threads),
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
        uploads(args.port, 20, args.threads, args.size_kib)  # warm-up
        upload_result = uploads(args.port, args.uploads, args.threads, args.size_kib)
        upload_result["openai_calls_per_upload"] = round(
            (fake.count("POST", "/files") + fake.count("POST", "/vector_stores/.*"))
            / (args.uploads + 20),
            2,
        )
        fake.delay = 0
        seeded = seed(database_url, args.documents)
        users = seeded["users"]
        bearer = {name: token(sub) for name, sub in users.items()}
        cases = {
            "typical user, first page": ("typical", "/api/v1/documents/", 1),
            "typical user, ?status=ready": ("typical", "/api/v1/documents/?status=ready", 1),
            "newcomer (3 oldest documents), first page": ("newcomer", "/api/v1/documents/", 1),
            "heavy user (50,000 own), first page": ("heavy", "/api/v1/documents/", 1),
            "heavy user, page 20 by cursor": ("heavy", "/api/v1/documents/", 20),
            "admin (all), first page": ("admin", "/api/v1/documents/", 1),
            "admin, ?status=failed": ("admin", "/api/v1/documents/?status=failed", 1),
            "admin, ?owner_id=typical": (
                "admin",
                f"/api/v1/documents/?owner_id={users['typical']}",
                1,
            ),
            "search scope, typical user": ("typical", "/api/v1/documents/search-scope/", 1),
        }
        listing = {}
        for name, (who, path, pages) in cases.items():
            listing[name] = timed_gets(args.port, bearer[who], path, args.requests, pages)
        plans = explain(database_url, users)
    finally:
        server.terminate()
        server.wait(timeout=30)
        fake.stop()

    report = {
        "command": " ".join(["uv run python bench/documents_bench.py", *sys.argv[1:]]),
        "machine": f"{platform.platform()}, {os.cpu_count()} CPUs",
        "load_average_1_5_15_at_end": [round(x, 1) for x in os.getloadavg()],
        "gunicorn": f"{args.workers} workers x {args.gunicorn_threads} threads",
        "client_threads": args.threads,
        "upload_size_kib": args.size_kib,
        "openai_latency_ms": args.openai_latency_ms,
        "upload": upload_result,
        "table": seeded,
        "list_requests_per_case": args.requests,
        "list": listing,
        "first_page_plans": plans,
    }
    suffix = f"-latency{args.openai_latency_ms}" if args.openai_latency_ms else ""
    out = ROOT / "bench" / "results" / f"documents_bench{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
