"""Running code in threads released together, for race tests."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def run_in_threads(count: int, func):
    """Run ``func(i)`` for i in range(count) in ``count`` threads released together
    (a barrier); return the results in order. Each thread closes its own database
    connection (the test needs ``django_db(transaction=True)``)."""
    barrier = threading.Barrier(count)

    def task(i):
        try:
            barrier.wait(timeout=30)
            return func(i)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))
