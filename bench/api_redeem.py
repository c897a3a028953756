"""Partner API redeem against the raw-SQL baseline transaction, served by one gunicorn in one run.

What it does:
1. creates its own PostgreSQL database (default `vouchers_bench_api`), migrates it, and seeds one
   dealer, one partner key (with a per-minute limit far above what the run sends) and per client a
   few cars, each holding a voucher with enough uses (through the services, so the ledger is right),
   plus the baseline's table rows (bench/baseline.py);
2. counts the SQL statements of one redeem request in this process (the whole request: key, rate
   limit, idempotency, the redemption, the answer);
3. starts gunicorn (`config/gunicorn.conf.py`, production settings: DEBUG off, persistent database
   connections) with `bench.baseline_settings`, so the same workers serve the project's URLs and the
   baseline view;
4. phase "baseline": the clients POST `/bench/baseline/<client>/` (lock a row, update it, insert a
   row, in one transaction, raw SQL); phase "redeem": the clients POST
   `/api/v1/vouchers/{code}/redeem` with a fresh Idempotency-Key each, mileage and work order; the
   two phases run in turn in `--rounds` rounds (default 3), each with its share of the requests;
   A third phase, "partner floor", POSTs `/bench/partner-floor/<client>/` (bench/partner_floor.py):
   the same partner machinery as the redeem (key, scope, limit, Idempotency-Key, stored answer)
   around the baseline's SQL, so the run also says how much of the gap is the partner API's own
   cost and how much the redemption's work;
5. prints requests per second, p50 and p99 of every phase (all rounds together), their ratio (the
   median of the rounds' ratios, each listed: a ratio of phases run minutes apart would measure the
   machine's drift as much as the code), p99/p50 of the redeem, the
   count of non-2xx answers (must be 0), and checks that every 200 made exactly one redemption and
   one ledger use and that the ledger reconciles. Stops gunicorn and drops the database (unless --keep).

Run from the repository root (PostgreSQL on 127.0.0.1:5432):
    .venv/bin/python bench/api_redeem.py [--clients 16] [--baseline 6000] [--redeems 3000]
"""

import argparse
import http.client
import json
import os
import secrets
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages, bench included

from bench.harness import (  # noqa: E402
    ROUNDS_HELP,
    manage,
    percentile,
    postgres,
    ratio_of_rounds,
    rounds_count,
    run_clients,
    start_gunicorn,
    stop,
)

SETTINGS = "bench.baseline_settings"
DEALER = "BENCH"


# --- HTTP client: one keep-alive connection per client -------------------------------------------


class Client:
    """Keeps its connection open while the server does (gunicorn's sync workers close it after each
    answer; then the next request opens a new one, in both phases alike)."""

    def __init__(self, host: str, port: int, headers: dict | None = None):
        self.host, self.port = host, port
        self.headers = {"Host": f"{host}:{port}", "Connection": "keep-alive", **(headers or {})}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        payload = json.dumps(body).encode() if body is not None else b""
        all_headers = {**self.headers, "Content-Type": "application/json", **(headers or {})}
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, path, body=payload, headers=all_headers)
                response = self.connection.getresponse()
                text = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had already closed: only before any answer.
                self.close()
                if attempt:
                    raise
                continue
            if response.will_close:
                self.close()
            return response.status, text
        raise RuntimeError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


# --- Set-up: database, data, server --------------------------------------------------------------


def server_environment(args) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{args.database}",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # TLS ends at the load balancer in production; plain HTTP here
        GUNICORN_BIND=f"127.0.0.1:{args.port}",
        GUNICORN_WORKERS=str(args.workers),
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE=SETTINGS,
        RATELIMIT_REDIS_URL=args.ratelimit_redis,
        RATELIMIT_REDIS_PREFIX=f"{args.database}:ratelimit:{secrets.token_hex(4)}:",
    )
    return env


@dataclass
class Seeded:
    token: str
    # per client: [(voucher code, vin), ...]
    cars: list[list[tuple[str, str]]]


def seed(env: dict, *, clients: int, cars_per_client: int, uses: int) -> Seeded:
    """Through the services, in this process (the settings read the same environment)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from bench.baseline import setup_tables
    from members.models import Dealer
    from redemption.api_keys import api_key_create
    from vehicles.identifiers import vin_check_digit
    from vehicles.models import VehicleModel
    from vehicles.services import vehicle_register
    from vouchers.models import Voucher, VoucherDefinition
    from vouchers.services import definition_publish, voucher_issue

    setup_tables(rows=clients)
    Dealer.objects.create(code=DEALER, name="Bench 服務廠", city="台北市")
    model = VehicleModel.objects.create(code="BENCH", name="Bench model")
    definition = VoucherDefinition.objects.create(
        name="Bench wash",
        code="bench-wash",
        category=VoucherDefinition.Category.WASH,
        uses_per_voucher=uses,
        validity_policy=VoucherDefinition.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=365,
        channel_api=True,
        wizard_step=4,
    )
    definition_publish(definition=definition)
    key = api_key_create(name="bench", scopes=["read", "redeem"], rate_limit_per_minute=10_000_000)
    cars, serial = [], 0
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    for _c in range(clients):
        own = []
        for _n in range(cars_per_client):
            serial += 1
            body = f"WBAAPXRD0{serial:08d}"
            vin = body[:8] + vin_check_digit(body) + body[9:]
            plate = f"A{letters[serial // 24 % 24]}{letters[serial % 24]}-{serial % 10000:04d}"
            vehicle = vehicle_register(vin=vin, plate=plate, model=model)
            voucher = voucher_issue(definition=definition, source=Voucher.Source.MANUAL, vehicle=vehicle)[0]
            own.append((voucher.code, vin))
        cars.append(own)
    return Seeded(token=key.plaintext, cars=cars)


def redeem_body(vin: str, mileage: int, work_order: str) -> dict:
    return {"dealer": DEALER, "vin": vin, "mileage_km": mileage, "work_order": work_order}


def count_statements(seeded: Seeded, *, show: bool) -> tuple[int, int, float]:
    """SQL statements (all, and of them after the last COMMIT: work queued for after it, i.e. task
    enqueues on django-q2's ORM broker) and in-process milliseconds of one redeem request (the
    median of the last ten of twelve, so nothing is counted that only the first does), through
    Django's test client on the bench database."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient(SERVER_NAME="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {seeded.token}")
    code, vin = seeded.cars[0][0]
    url = f"/api/v1/vouchers/{code}/redeem"
    timings = []
    for n in range(12):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                url,
                json.dumps(redeem_body(vin, 1 + n, f"WO-sql-{n}")),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
        timings.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise RuntimeError(f"in-process redeem answered {response.status_code}: {response.content[:300]}")
    if show:
        for number, query in enumerate(queries.captured_queries, 1):
            print(f"  {number:2}. {query['sql'][:220]}")
    sql = [query["sql"] for query in queries.captured_queries]
    last_commit = max((i for i, text in enumerate(sql) if text == "COMMIT"), default=len(sql) - 1)
    return len(sql), len(sql) - 1 - last_commit, percentile(timings[2:], 0.5) * 1000


# --- Phases --------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)  # status -> count
    samples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, latency: float, body: bytes) -> None:
        with self.lock:
            if 200 <= status < 300:
                self.latencies.append(latency)
            else:
                self.failures[status] = self.failures.get(status, 0) + 1
                if len(self.samples) < 3:
                    self.samples.append(f"{status} {body[:300]!r}")

    @classmethod
    def merged(cls, phases: list["Phase"]) -> "Phase":
        """The rounds of one phase as one: every answer, and the seconds they took together."""
        whole = cls(phases[0].name)
        for phase in phases:
            whole.latencies += phase.latencies
            whole.seconds += phase.seconds
            whole.samples += phase.samples[: 3 - len(whole.samples)]
            for status, count in phase.failures.items():
                whole.failures[status] = whole.failures.get(status, 0) + count
        return whole

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def floor_phase(port: int, token: str, clients: int, per_client: int, *, ceiling: bool = False) -> Phase:
    """The partner floor's POSTs, or (`ceiling`) the redeem's ceiling's (bench/redeem_ceiling_view.py):
    the same partner machinery, the client's row or recorded redeem."""
    from bench import partner_floor, redeem_ceiling_view

    if ceiling:
        phase, url = Phase("ceiling: partner API + the redeem's statements"), redeem_ceiling_view.url
    else:
        phase, url = Phase("partner floor: partner API + the baseline's SQL"), partner_floor.url

    def work(index, barrier):
        client = Client("127.0.0.1", port, {"Authorization": f"Bearer {token}"})
        path = url(index + 1)
        barrier.wait()
        for _n in range(per_client):
            began = time.perf_counter()
            status, body = client.request("POST", path, {}, {"Idempotency-Key": str(uuid.uuid4())})
            phase.add(status, time.perf_counter() - began, body)
        client.close()

    phase.seconds = run_clients(clients, work)
    return phase


def baseline_phase(port: int, clients: int, per_client: int) -> Phase:
    from bench.baseline import url

    phase = Phase("baseline: raw-SQL lock + update + insert")

    def work(index, barrier):
        client = Client("127.0.0.1", port)
        path = url(index + 1)  # each client its own row, as each redeem client has its own vouchers
        barrier.wait()
        for _n in range(per_client):
            began = time.perf_counter()
            status, body = client.request("POST", path, {})
            phase.add(status, time.perf_counter() - began, body)
        client.close()

    phase.seconds = run_clients(clients, work)
    return phase


class Mileage:
    """Rising readings per client (a reading below the car's last one is refused)."""

    def __init__(self, clients: int):
        self.next = [10_000] * clients

    def take(self, index: int) -> int:
        self.next[index] += 1
        return self.next[index]


def redeem_phase(port: int, seeded: Seeded, per_client: int, mileage: Mileage, label: str) -> Phase:
    phase = Phase("API redeem POST /api/v1/vouchers/{code}/redeem")

    def work(index, barrier):
        client = Client("127.0.0.1", port, {"Authorization": f"Bearer {seeded.token}"})
        cars = seeded.cars[index]
        barrier.wait()
        for n in range(per_client):
            code, vin = cars[n % len(cars)]
            body = redeem_body(vin, mileage.take(index), f"WO-{label}-{index}-{n}")
            began = time.perf_counter()
            status, answer = client.request(
                "POST",
                f"/api/v1/vouchers/{code}/redeem",
                body,
                {"Idempotency-Key": str(uuid.uuid4())},
            )
            phase.add(status, time.perf_counter() - began, answer)
        client.close()

    phase.seconds = run_clients(len(seeded.cars), work)
    return phase


def verify(expected_redemptions: int, expected_baseline: int) -> list[str]:
    from bench.baseline import counts
    from redemption.models import Redemption
    from vouchers.models import LedgerEntry
    from vouchers.selectors import ledger_drift

    problems = []
    redemptions = Redemption.objects.count()
    uses = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED).count()
    if redemptions != expected_redemptions or uses != expected_redemptions:
        problems.append(
            f"{expected_redemptions} redeems answered 200 but {redemptions} redemptions, {uses} ledger uses"
        )
    drift = ledger_drift().count()
    if drift:
        problems.append(f"{drift} vouchers disagree with their ledger")
    baseline_uses, baseline_events = counts()
    if baseline_uses != expected_baseline or baseline_events != expected_baseline:
        problems.append(
            f"baseline: {expected_baseline} answers but {baseline_uses} uses, {baseline_events} rows"
        )
    return problems


def report(
    baseline: Phase,
    floor: Phase,
    redeem: Phase,
    ratios: list[float],
    floor_ratios: tuple[list[float], list[float]],
    statements: tuple[int, int],
    in_process_ms: float,
    args,
) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:8.1f} ms"

    print()
    print(
        f"gunicorn {args.workers} sync workers, {args.clients} clients, PostgreSQL, production settings, "
        f"{os.cpu_count()} CPUs shared by clients, server and database; per-key limit counted in "
        f"{'Redis' if args.ratelimit_redis else 'the database'}"
    )
    print(f"{'phase':<48} {'2xx':>6} {'non-2xx':>8} {'req/s':>8} {'p50':>11} {'p99':>11}")
    for phase in (baseline, floor, redeem):
        print(
            f"{phase.name:<48} {phase.ok:>6} {sum(phase.failures.values()):>8} {phase.per_second:>8.1f} "
            f"{ms(percentile(phase.latencies, 0.5))} {ms(percentile(phase.latencies, 0.99))}"
        )
    p50, p99 = percentile(redeem.latencies, 0.5), percentile(redeem.latencies, 0.99)
    print()
    print(f"ratio  API redeem req/s / baseline req/s : {ratio_of_rounds(ratios)}  (target >= 0.4)")
    print(f"ratio  API redeem p99 / p50              : {p99 / p50:6.2f}  (target <= 3)")
    print(f"ratio  partner floor / baseline          : {ratio_of_rounds(floor_ratios[0])}")
    print(f"ratio  API redeem / partner floor        : {ratio_of_rounds(floor_ratios[1])}")
    count, after = statements
    queued = f"; {after} of them after the COMMIT: task enqueues, none with Q_BROKER=redis" if after else ""
    print(f"SQL statements per redeem request        : {count:6d}  (target <= 10{queued})")
    print(f"one redeem in-process (no load), p50     : {in_process_ms:6.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent keep-alive clients (default 16)")
    parser.add_argument("--baseline", type=int, default=6000, help="baseline requests (default 6000)")
    parser.add_argument("--floor", type=int, default=4000, help="partner floor requests (default 4000)")
    parser.add_argument("--redeems", type=int, default=3000, help="API redeems in total (default 3000)")
    parser.add_argument("--cars", type=int, default=4, help="cars (vouchers) per client (default 4)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8121)
    parser.add_argument("--database", default="vouchers_bench_api")
    parser.add_argument(
        "--ratelimit-redis",
        default="",
        help="count the per-key limit in this Redis (e.g. redis://127.0.0.1:6379/2); default: the database",
    )
    parser.add_argument("--rounds", type=rounds_count, default=3, help=ROUNDS_HELP)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of one redeem")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    per_client_baseline = args.baseline // args.clients
    per_client_redeem = args.redeems // args.clients
    per_client_floor = args.floor // args.clients
    warm = 5
    uses = per_client_redeem // args.cars + warm + 20
    env = server_environment(args)
    print(f"setting up database {args.database} ...", flush=True)
    postgres(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    postgres(f'CREATE DATABASE "{args.database}"')
    process = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        seeded = seed(env, clients=args.clients, cars_per_client=args.cars, uses=uses)
        count, after_commit, in_process_ms = count_statements(seeded, show=args.show_sql)
        in_process_redeems = 12
        log_path = ROOT / "test-artifacts" / "bench-api-redeem-gunicorn.log"
        log_path.parent.mkdir(exist_ok=True)
        from django.db import connections

        connections.close_all()
        process = start_gunicorn(env, args.port, log_path, Client)
        print(f"gunicorn pid {process.pid} on 127.0.0.1:{args.port}; warming up ...", flush=True)
        mileage = Mileage(args.clients)
        warm_baseline = baseline_phase(args.port, args.clients, 20)
        warm_floor = floor_phase(args.port, seeded.token, args.clients, 20)
        warm_redeem = redeem_phase(args.port, seeded, warm, mileage, "warm")
        print("measuring ...", flush=True)
        rounds = []
        for number in range(args.rounds):
            rounds.append(
                (
                    baseline_phase(args.port, args.clients, per_client_baseline // args.rounds),
                    floor_phase(args.port, seeded.token, args.clients, per_client_floor // args.rounds),
                    redeem_phase(
                        args.port, seeded, per_client_redeem // args.rounds, mileage, f"run{number}"
                    ),
                )
            )
        baseline, floor, redeem = (Phase.merged([trio[side] for trio in rounds]) for side in (0, 1, 2))
        ratios = [path.per_second / base.per_second for base, _floor, path in rounds]
        floor_ratios = (
            [middle.per_second / base.per_second for base, middle, _path in rounds],
            [path.per_second / middle.per_second for _base, middle, path in rounds],
        )
        report(baseline, floor, redeem, ratios, floor_ratios, (count, after_commit), in_process_ms, args)
        problems = []
        for phase in (warm_baseline, warm_floor, warm_redeem, baseline, floor, redeem):
            if phase.failures:
                problems.append(f"{phase.name}: non-2xx {phase.failures}; e.g. {phase.samples}")
        # The floor's transactions count on the baseline's tables too.
        problems += verify(
            in_process_redeems + warm_redeem.ok + redeem.ok,
            warm_baseline.ok + baseline.ok + warm_floor.ok + floor.ok,
        )
        if problems:
            print("\nPROBLEMS:\n  " + "\n  ".join(problems))
            return 1
        print("\ncheck: no non-2xx; one redemption and one ledger use per 200; the ledger reconciles.")
        return 0
    finally:
        if process is not None:
            stop(process)
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            postgres(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
