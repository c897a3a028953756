"""How fast could the API redeem be without its Python? CPU per request, in this process, of four
kinds of request, so the answer is a measurement and not an estimate:

- baseline: the raw-SQL view (bench/baseline.py: lock a row, update it, insert a row);
- partner floor: the partner API's machinery around the baseline's SQL (bench/partner_floor.py);
- ceiling: the same partner floor view whose work is the real redeem's own statements, recorded from
  one real redeem and sent again as they were (a fresh idempotency key and mileage each time), with
  the real answer's JSON: no lookups made into instances, no rule checked, no answer built. It is
  what a redeem written by hand, outside the ORM and DRF's serializers, would cost at best while it
  keeps the statements, the per-key limit and the stored answer;
- redeem: the real `POST /api/v1/vouchers/{code}/redeem`.

For each: this process's CPU per request (the gunicorn worker's share) and the PostgreSQL backend's
(its /proc stat, so run it on the database's machine), the kinds alternating in `--rounds` rounds of
`--requests` each; the medians and each kind's cost ratio to the baseline (baseline cost / its cost).
Under load the HTTP server, the load generator and the kernel add a cost per request that every kind
pays alike, so bench/api_redeem.py's throughput ratios are higher than these cost ratios; the order
of the kinds and the gaps between them are what this says.

It creates its own PostgreSQL database (seeded through the services, as bench/api_redeem.py seeds
it) and drops it: the ceiling's writes skip every check, so its ledger does not reconcile.

Run from the repository root (PostgreSQL on 127.0.0.1:5432):
    .venv/bin/python bench/redeem_ceiling.py [--requests 400] [--rounds 3]
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages, bench included

from bench.api_redeem import redeem_body, seed, server_environment  # noqa: E402
from bench.harness import manage, postgres, rounds_count  # noqa: E402

KINDS = ("baseline", "partner floor", "ceiling", "redeem")


class Requests:
    """The four kinds, each one in-process call of Django's WSGI handler answering 200."""

    def __init__(self, seeded):
        from django.core.wsgi import get_wsgi_application

        from bench.baseline import url as baseline_url
        from bench.partner_floor import url as floor_url

        self.app = get_wsgi_application()
        self.token = seeded.token
        self.code, self.vin = seeded.cars[0][0]
        self.mileage = 600_000  # far from any other number the statements carry
        self.baseline_path, self.floor_path = baseline_url(1), floor_url(1)
        self.as_ceiling = False

    def call(self, path: str, body: dict, headers: dict) -> bytes:
        payload = json.dumps(body).encode()
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_ACCEPT": "application/json",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(payload)),
            "wsgi.input": io.BytesIO(payload),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            **headers,
        }
        statuses = []
        answer = b"".join(self.app(environ, lambda status, _headers, _exc=None: statuses.append(status)))
        if not statuses[0].startswith("200"):
            raise RuntimeError(f"{path} answered {statuses[0]}: {answer[:300]!r}")
        return answer

    def partner(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}

    def baseline(self) -> bytes:
        return self.call(self.baseline_path, {}, {})

    def floor(self) -> bytes:
        return self.call(self.floor_path, {}, self.partner())

    def ceiling(self) -> bytes:
        """The partner floor view doing the redeem's recorded statements (`install_ceiling`)."""
        self.as_ceiling = True
        try:
            return self.floor()
        finally:
            self.as_ceiling = False

    def redeem(self) -> bytes:
        self.mileage += 1
        body = redeem_body(self.vin, self.mileage, "WO-ceiling")
        return self.call(f"/api/v1/vouchers/{self.code}/redeem", body, self.partner())


def record_redeem(requests: Requests) -> tuple[list, dict, int]:
    """The statements one real redeem sends of its own (not the per-key limit's nor the stored
    answer's, which the partner floor sends too), each with its parameters and whether it ran in the
    transaction, and the redeem's answer and mileage."""
    from django.db import connection

    from members.models import RateLimitBucket
    from redemption.partner_models import IdempotencyRecord

    floor_tables = (RateLimitBucket._meta.db_table, IdempotencyRecord._meta.db_table)
    recorded = []

    def record(execute, sql, params, many, context):
        if not any(f'"{table}"' in sql for table in floor_tables):
            recorded.append((sql, list(params or ()), connection.in_atomic_block))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        answer = json.loads(requests.redeem())
    return recorded, answer, requests.mileage


def install_ceiling(requests: Requests) -> None:
    """Make the partner floor view's work the recorded redeem's statements (in this process only)."""
    from django.db import connection, transaction
    from rest_framework.response import Response

    from bench.partner_floor import PartnerFloorView

    statements, answer, recorded_mileage = record_redeem(requests)
    recorded_key = next(
        value for _sql, params, _in in statements for value in params if str(value).startswith("api:")
    )
    before = [(sql, params) for sql, params, in_transaction in statements if not in_transaction]
    inside = [(sql, params) for sql, params, in_transaction in statements if in_transaction]

    def fresh(params: list, key: str, mileage: int) -> list:
        return [
            key if value == recorded_key else mileage if value == recorded_mileage else value
            for value in params
        ]

    def send(cursor, group, key, mileage):
        for sql, params in group:
            cursor.execute(sql, fresh(params, key, mileage))
            if cursor.description is not None:
                cursor.fetchall()

    def use(view, row: int, idempotency_key: str, keep):
        requests.mileage += 1
        key = f"ceiling:{idempotency_key}"
        with connection.cursor() as cursor:
            send(cursor, before, key, requests.mileage)
        with transaction.atomic(), connection.cursor() as cursor:
            send(cursor, inside, key, requests.mileage)
            return keep(Response(answer))

    floor_use = PartnerFloorView._use

    def use_of_kind(view, row: int, idempotency_key: str, keep):
        if requests.as_ceiling:
            return use(view, row, idempotency_key, keep)
        return floor_use(view, row, idempotency_key, keep)

    PartnerFloorView.ceiling = SimpleNamespace(before=len(before), inside=len(inside))
    PartnerFloorView._use = use_of_kind


def backend_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend so far (user + system)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(run, count: int) -> tuple[float, float]:
    """(worker ms, PostgreSQL ms) per request over `count` requests."""
    backend, began = backend_seconds(), time.process_time()
    for _n in range(count):
        run()
    worker = time.process_time() - began
    return worker * 1000 / count, (backend_seconds() - backend) * 1000 / count


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--requests", type=int, default=400, help="requests of each kind per round (default 400)"
    )
    parser.add_argument(
        "--rounds", type=rounds_count, default=3, help="rounds, the kinds alternating (default 3)"
    )
    parser.add_argument("--database", default="vouchers_bench_ceiling")
    args = parser.parse_args()
    env = server_environment(SimpleNamespace(database=args.database, port=0, workers=1, ratelimit_redis=""))
    print(f"setting up database {args.database} ...", flush=True)
    postgres(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    postgres(f'CREATE DATABASE "{args.database}"')
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        warm = 50
        seeded = seed(env, clients=1, cars_per_client=1, uses=(args.requests + warm) * args.rounds + 2 * warm)
        requests = Requests(seeded)
        runs = {"baseline": requests.baseline, "partner floor": requests.floor, "redeem": requests.redeem}
        for _n in range(warm):  # the redeem's statements are prepared, its plans cached, before recording
            requests.redeem()
        install_ceiling(requests)
        runs["ceiling"] = requests.ceiling
        for kind in KINDS:
            for _n in range(warm):
                runs[kind]()
        figures = {kind: [] for kind in KINDS}
        for _round in range(args.rounds):
            for kind in KINDS:
                figures[kind].append(measure(runs[kind], args.requests))
        report(figures, args)
        return 0
    finally:
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        postgres(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


def report(figures: dict, args) -> None:
    from bench.partner_floor import PartnerFloorView

    shape = PartnerFloorView.ceiling
    print(
        f"\nin-process, production settings, PostgreSQL; {args.rounds} rounds of {args.requests} requests"
        f" of each kind; the ceiling sends the redeem's {shape.before} statement(s) before its transaction"
        f" and {shape.inside} in it"
    )
    print(f"{'kind':16}{'worker':>12}{'PostgreSQL':>14}{'total':>12}{'baseline / kind':>18}")
    median = {}
    for kind in KINDS:
        worker = statistics.median(w for w, _b in figures[kind])
        backend = statistics.median(b for _w, b in figures[kind])
        totals = [w + b for w, b in figures[kind]]
        median[kind] = statistics.median(totals)
        ratios = [sum(base) / total for base, total in zip(figures["baseline"], totals, strict=True)]
        listed = ", ".join(f"{ratio:.3f}" for ratio in ratios)
        print(
            f"{kind:16}{worker:9.3f} ms{backend:11.3f} ms{median[kind]:9.3f} ms"
            f"{statistics.median(ratios):12.3f}  (rounds: {listed})"
        )
    python = median["redeem"] - median["ceiling"]
    print(
        f"\nthe redeem's own Python (redeem - ceiling): {python:.3f} ms, "
        f"{100 * python / median['redeem']:.0f} % of a redeem's CPU; "
        f"its statements and the partner machinery (ceiling): {median['ceiling']:.3f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
