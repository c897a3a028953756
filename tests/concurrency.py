"""Race tests' one tool: run work in threads released together by a barrier, each on its own
database connection (closed when its thread ends), and fail the test on any thread's exception."""

import threading

from django.db import connection


def together(n: int, work) -> list:
    """`work(i)` for i in 0..n-1 at once; their results in order."""
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results
