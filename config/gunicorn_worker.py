"""gunicorn's threaded worker (``gthread``), taking a new connection only while it
has a thread free for it.

gunicorn's own ``gthread`` worker accepts connections as long as it holds fewer
than ``worker_connections`` (1,000), whether or not its threads are busy: when
clients open their keep-alive connections at once, the first worker to wake takes
nearly all of them and the other workers idle (measured: 15 of 16 connections on
one of two workers), so one process — one core, under Python's GIL — serves the
whole load. This worker stops accepting while every thread has a request, and
leaves the connection to a sibling with a free thread, as the ``sync`` worker
does by nature. Idle keep-alive connections do not count: a worker whose
threads are free takes new clients whatever it keeps open, up to
``worker_connections`` in all.
"""

from typing import Any

from gunicorn.workers.gthread import ThreadWorker  # type: ignore[import-untyped]


class BalancedThreadWorker(ThreadWorker):
    """``gthread`` with accepting bounded by free threads (see the module)."""

    @property
    def worker_connections(self) -> int:
        """How many connections the worker may hold right now: the ones waiting
        idle (kept alive, or not yet sending) plus one per thread, at most the
        ``worker_connections`` setting. gunicorn's loop accepts while it holds
        fewer."""
        idle = len(self.keepalived_conns) + len(self.pending_conns)
        return int(min(self.cfg.worker_connections, idle + self.cfg.threads))

    @worker_connections.setter
    def worker_connections(self, value: Any) -> None:
        """gunicorn sets it once from the setting, which the getter reads itself."""
