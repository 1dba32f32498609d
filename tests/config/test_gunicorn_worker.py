"""The gunicorn worker takes a new connection only while a thread is free, so two
workers share the clients instead of one taking them all."""

from collections import deque
from pathlib import Path
from types import SimpleNamespace

import gunicorn.util

from config.gunicorn_worker import BalancedThreadWorker


def worker(*, threads: int, limit: int, kept_alive: int = 0, waiting: int = 0):
    """A worker's accepting state without starting one (no sockets, no threads)."""
    instance = BalancedThreadWorker.__new__(BalancedThreadWorker)
    instance.cfg = SimpleNamespace(threads=threads, worker_connections=limit)
    instance.keepalived_conns = deque(range(kept_alive))
    instance.pending_conns = deque(range(waiting))
    return instance


def test_a_worker_with_every_thread_busy_takes_no_new_connection():
    busy = worker(threads=8, limit=1000)
    busy.nr_conns = 8

    assert not busy.nr_conns < busy.worker_connections


def test_idle_kept_alive_connections_do_not_hold_a_free_thread_back():
    kept = worker(threads=8, limit=1000, kept_alive=30, waiting=2)
    kept.nr_conns = 32 + 7  # 7 requests running, one thread free

    assert kept.nr_conns < kept.worker_connections


def test_the_worker_connections_setting_stays_the_ceiling():
    full = worker(threads=8, limit=20, kept_alive=20)
    full.nr_conns = 20

    assert full.worker_connections == 20
    assert not full.nr_conns < full.worker_connections


def test_gunicorn_conf_names_the_worker():
    namespace: dict = {}
    path = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
    exec(compile(path.read_text(), str(path), "exec"), namespace)  # noqa: S102

    assert gunicorn.util.load_class(namespace["worker_class"]) is BalancedThreadWorker
