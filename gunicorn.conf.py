"""gunicorn settings (read from the project root by ``gunicorn config.wsgi``).

Threaded workers (``gthread``): a worker serves several requests at once, so a
request waiting on the database does not hold the others up, and HTTP keep-alive
works (a ``sync`` worker closes every connection). Measured side by side with the
bare FastAPI peer on 2 cores: see docs/performance.md. Every value can be set
from the environment.
"""

import ctypes
import ctypes.util
import os

# WEB_CONCURRENCY: processes (gunicorn's own variable; default 2, one per core here).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Each thread holds its own database connection (CONN_MAX_AGE): workers x threads
# connections in all; keep that under the database's or the pooler's limit.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # seconds


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
