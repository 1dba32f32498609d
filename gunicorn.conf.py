"""gunicorn settings (read from the working directory: `gunicorn config.wsgi`).

Every value can be overridden from the environment. Sizing against the database:
each worker thread holds at most one database connection (Django keeps it for
``CONN_MAX_AGE`` seconds), so one instance opens up to ``workers * threads`` client
connections; with the in-process pool (``DATABASE_POOL_MAX_SIZE``) it is
``workers * DATABASE_POOL_MAX_SIZE``. Keep the sum over all instances below the
pooler's client limit, and the number of requests that can hit the database at once
near the pooler's pool size (Supabase: Database settings → pool size). The README's
deploy section works an example.
"""

import ctypes
import ctypes.util
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Requests mostly wait on the database: two processes per core, threads in each.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
# Threaded workers (gthread): a request waiting on the database does not hold the
# others up, and HTTP keep-alive works (a sync worker closes every connection).
# 8 threads measured best side by side with the bare FastAPI peer
# (docs/performance.md).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request is cut off after this many seconds even when the database stops
# answering mid-statement (a frozen server ignores its own statement_timeout).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Restart each worker after about this many requests (jitter avoids all at once).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# Access lines go to stdout (GUNICORN_ACCESSLOG= empty: none); the app's own log
# (one line per failed request) to stderr.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
# No query strings in the access log: they can carry user values.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%({x-request-id}o)s"'
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No runtime control socket: a fixed path in $HOME would be shared by every instance
# on the host; restarts go through the process manager's signals.
control_socket_disable = True


def _malloc_arenas_limit(count: int) -> None:
    """glibc gives each thread that allocates its own malloc arena, and each arena
    keeps freed memory resident: with 8 threads a worker's RSS grew by about 8 MB.
    ``mallopt(M_ARENA_MAX, count)`` (what the MALLOC_ARENA_MAX variable sets) caps
    them; set here, in the master, it holds in the workers it forks. No-op off glibc."""
    name = ctypes.util.find_library("c")
    if not name or count <= 0:
        return
    try:
        libc = ctypes.CDLL(name)
        libc.mallopt(-8, count)  # M_ARENA_MAX (malloc.h)
    except (OSError, AttributeError):
        pass


_malloc_arenas_limit(int(os.environ.get("MALLOC_ARENA_MAX", "2")))
