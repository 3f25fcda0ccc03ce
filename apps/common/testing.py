"""Helpers for the concurrency tests (real PostgreSQL, one connection per thread)."""
import threading

from django.db import connection


def run_threads(n: int, target):
    """Run target(i) in n threads released together by a barrier, each with its own database connection.
    Returns (results, errors), one slot per thread."""
    results, errors = [None] * n, [None] * n
    barrier = threading.Barrier(n)

    def runner(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # collected for the test to inspect
            errors[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors
