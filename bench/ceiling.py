"""What the ceiling benchmarks share (bench/redeem_ceiling.py, bench/counter_ceiling.py): a path's own
statements recorded from one real request and sent again inside the path's floor, so a run says how
fast the path could be without its own Python, measured and not estimated.

Each kind of request is one in-process call of Django's WSGI handler (production settings, DEBUG
off); per kind this process's CPU per request (the gunicorn worker's share) and the PostgreSQL
backend's (its /proc stat: run it on the database's machine), the kinds alternating in rounds, and
each kind's cost ratio to the raw-SQL baseline (baseline cost / its cost). Under load the HTTP server,
the load generator and the kernel add a cost per request that every kind pays alike, so the HTTP
benchmarks' throughput ratios are higher than these cost ratios; the order of the kinds and the gaps
between them are what a run says.
"""

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.harness import manage, postgres, rounds_count

Recorded = tuple[str, list, bool]  # SQL, its parameters, whether it ran in a transaction


def wsgi_call(app, method: str, path: str, *, body: bytes = b"", headers: dict | None = None) -> bytes:
    """One request through the WSGI handler; its body, which must come with a 200."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        **(headers or {}),
    }
    statuses = []
    answer = b"".join(app(environ, lambda status, _headers, _exc=None: statuses.append(status)))
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"{method} {path} answered {statuses[0]}: {answer[:300]!r}")
    return answer


def record_statements(run: Callable[[], bytes]) -> tuple[list[Recorded], bytes]:
    """The statements `run()` sends (through Django's cursors), and its answer."""
    from django.db import connection

    recorded: list[Recorded] = []

    def record(execute, sql, params, many, context):
        recorded.append((sql, list(params or ()), connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        answer = run()
    return recorded, answer


def send(cursor, statements: list[tuple[str, list]]) -> None:
    for sql, params in statements:
        cursor.execute(sql, params)
        if cursor.description is not None:
            cursor.fetchall()


def _backend_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend so far (user + system)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(run: Callable[[], object], count: int) -> tuple[float, float]:
    """(worker ms, PostgreSQL ms) per request over `count` requests."""
    backend, began = _backend_seconds(), time.process_time()
    for _n in range(count):
        run()
    worker = time.process_time() - began
    return worker * 1000 / count, (_backend_seconds() - backend) * 1000 / count


@dataclass
class Run:
    rounds: int
    requests: int
    warm: int = 50


def alternate(runs: dict[str, Callable[[], object]], plan: Run) -> dict[str, list[tuple[float, float]]]:
    """Warm every kind, then measure them in turn, `plan.rounds` times."""
    for run in runs.values():
        for _n in range(plan.warm):
            run()
    figures = {kind: [] for kind in runs}
    for _round in range(plan.rounds):
        for kind, run in runs.items():
            figures[kind].append(_measure(run, plan.requests))
    return figures


def print_figures(figures: dict[str, list[tuple[float, float]]], *, baseline: str) -> dict[str, float]:
    """The table (median worker, PostgreSQL and total ms; the median round's cost ratio to
    `baseline`, with every round's); returns each kind's median total ms."""
    print(f"{'kind':16}{'worker':>12}{'PostgreSQL':>14}{'total':>12}{'baseline / kind':>18}")
    median = {}
    for kind, measured in figures.items():
        worker = statistics.median(w for w, _b in measured)
        backend = statistics.median(b for _w, b in measured)
        totals = [w + b for w, b in measured]
        median[kind] = statistics.median(totals)
        ratios = [sum(base) / total for base, total in zip(figures[baseline], totals, strict=True)]
        listed = ", ".join(f"{ratio:.3f}" for ratio in ratios)
        print(
            f"{kind:16}{worker:9.3f} ms{backend:11.3f} ms{median[kind]:9.3f} ms"
            f"{statistics.median(ratios):12.3f}  (rounds: {listed})"
        )
    return median


@contextmanager
def bench_database(name: str, env: dict) -> Iterator[None]:
    """A fresh, migrated database for the run, dropped afterwards: the ceilings' writes skip every
    check, so what they leave is not consistent."""
    print(f"setting up database {name} ...", flush=True)
    postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    postgres(f'CREATE DATABASE "{name}"')
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        yield
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def arguments(
    doc: str, *, requests: int, database: str, more: Callable[[argparse.ArgumentParser], None] | None = None
) -> tuple[argparse.Namespace, Run]:
    """`--requests`, `--rounds`, `--database`, and what `more` adds."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--requests", type=int, default=requests, help=f"requests of each kind per round (default {requests})"
    )
    parser.add_argument(
        "--rounds", type=rounds_count, default=3, help="rounds, the kinds alternating (default 3)"
    )
    parser.add_argument("--database", default=database)
    if more is not None:
        more(parser)
    args = parser.parse_args()
    return args, Run(rounds=args.rounds, requests=args.requests)


def measure_and_print(
    runs: dict[str, Callable[[], object]], plan: Run, *, sends: str, machinery: str
) -> None:
    """Measure the kinds (the first the baseline, the last the real path) and print the table and
    how much of the path's CPU its own Python is (path - ceiling)."""
    figures = alternate(runs, plan)
    path = list(runs)[-1]
    print(
        f"\nin-process, production settings, PostgreSQL; {plan.rounds} rounds of {plan.requests} requests"
        f" of each kind; the ceiling sends {sends}"
    )
    median = print_figures(figures, baseline=next(iter(runs)))
    python = median[path] - median["ceiling"]
    print(
        f"\nthe {path}'s own Python ({path} - ceiling): {python:.3f} ms, "
        f"{100 * python / median[path]:.0f} % of its CPU; "
        f"its statements and {machinery} (ceiling): {median['ceiling']:.3f} ms"
    )
