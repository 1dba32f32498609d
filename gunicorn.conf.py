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

import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Requests mostly wait on the database: two processes per core, a few threads each.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
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
