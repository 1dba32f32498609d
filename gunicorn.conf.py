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
import importlib.util
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Requests mostly wait on the database: two processes per core, threads in each.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
# Threaded workers (gthread): a request waiting on the database does not hold the
# others up, and HTTP keep-alive works (a sync worker closes every connection).
# 8 threads measured best side by side with the bare FastAPI peer
# (docs/performance.md).
# config.gunicorn_worker's gthread only takes a connection while it has a free
# thread, so the workers share the clients instead of one taking them all.
worker_class = os.environ.get(
    "GUNICORN_WORKER_CLASS", "config.gunicorn_worker.BalancedThreadWorker"
)
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
# A request is cut off after this many seconds even when the database stops
# answering mid-statement (a frozen server ignores its own statement_timeout).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Restart each worker after about this many requests (jitter avoids all at once).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# The application (Django, its URL conf and every view; see config.wsgi) is loaded
# once, in the master, and each worker is a fork of it: starting or restarting a
# worker costs a fork instead of importing everything again (about 1.5 s of CPU
# here, more without compiled bytecode), and the workers share the loaded code's
# memory. A code change needs a full restart (SIGHUP reuses the loaded code).
# Only where Django is installed: gunicorn reads this file for any app started in
# this directory (the benchmark's bare FastAPI peer too, whose module opens its
# database pool on import and must not be loaded before the fork).
preload_app = (
    os.environ.get("GUNICORN_PRELOAD", "true").lower() not in {"0", "false", "no"}
    and importlib.util.find_spec("django") is not None
)
# No access lines unless GUNICORN_ACCESSLOG names a file ("-": stdout): writing one
# cost about 5 % of a worker's CPU per request on the hot routes, and the proxy in
# front logs every request anyway. The app's own log (one line per failed request,
# with its request id) goes to stderr either way.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "") or None
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


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each fork: move every object loaded so far into the
    garbage collector's permanent generation (``gc.freeze``), so the workers'
    collections do not write to the shared pages, and close any database
    connection the master might hold, so no worker inherits its socket."""
    import gc

    if preload_app:
        from django.db import connections

        connections.close_all()
    gc.freeze()
