"""gunicorn settings (read from the project root by ``gunicorn config.wsgi``).

Threaded workers (``gthread``): a worker serves several requests at once, so a
request waiting on the database does not hold the others up, and HTTP keep-alive
works (a ``sync`` worker closes every connection). Measured side by side with the
bare FastAPI peer on 2 cores: see docs/performance.md. Every value can be set
from the environment.
"""

import os

# WEB_CONCURRENCY: processes (gunicorn's own variable; default 2, one per core here).
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
# Each thread holds its own database connection (CONN_MAX_AGE): workers x threads
# connections in all; keep that under the database's or the pooler's limit.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))  # seconds
