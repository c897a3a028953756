"""PostgreSQL's JIT switched off for a stretch of work on this connection.

PostgreSQL compiles (JIT) the plan of any statement whose estimated cost passes `jit_above_cost`,
which a batch statement over many rows easily does, however little it computes per row. For the
batch jobs here compiling took longer than running: 0.46 s of the unused-value reminders' 0.5 s on
a million vouchers, and 40-50 ms of each bulk-issuance chunk's statement, planned afresh per chunk
(about 4 s of 10 s for 100,000 rows, `bench/bulk_issue.py`). The server's setting is left to the
statements that are not in such a stretch.
"""

from contextlib import contextmanager

from django.db import DatabaseError, connection


@contextmanager
def without_jit():
    """`SET jit = off` for the connection's session, and `RESET jit` after, so a connection kept by
    a worker gets the server's setting back. Set inside a transaction, a rollback undoes it too.
    Nothing on other databases."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET jit")
        except DatabaseError:  # a transaction the work aborted: its rollback undoes the SET anyway
            pass
