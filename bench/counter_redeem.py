"""The counter's two requests (vehicle page GET, redeem POST) against the raw-SQL baseline view,
served by one gunicorn in one run.

What it does:
1. creates its own PostgreSQL database (default `vouchers_bench_counter`), migrates it, collects static
   files, and seeds one dealer, one advisor per client and per client a few cars, each holding a
   voucher with many uses (through the services, so the ledger is right), plus the baseline's table
   rows (bench/baseline.py); with --owned, every car has an owner with points, so every page shows
   the owner panel;
2. counts the SQL statements of one vehicle page GET and one redeem POST in this process (Django's
   test client on the bench database; the whole request: session, user, page or redemption);
3. starts gunicorn (`config/gunicorn.conf.py`, production settings: DEBUG off, persistent database
   connections) with `bench.baseline_settings`, so the same workers serve the project's URLs and the
   baseline view; every client signs in once through the log-in form (before the clock starts);
4. phase "baseline": the clients POST `/bench/baseline/<client>/` (lock a row, update it, insert a
   row, in one transaction, raw SQL); phase "vehicle page": the clients GET their cars' counter
   pages in turn and keep each page's redeem form (its one-time token); phase "redeem POST": the
   clients POST those forms in the order they got them (rising mileage, a work order each), and each
   must answer with the redirect to its receipt; the three phases run in turn in `--rounds` rounds
   (default 3), each with its share of the requests;
   Two more phases, "counter floor GET" and "counter floor POST" (bench/counter_floor.py): a counter
   view with the same session, log-in, idle timeout, dealer and CSRF as the real two, whose page is
   the counter's base template around the baseline's row and whose POST is the baseline's
   transaction and a redirect; so the run also says how much of the gap is the counter's own frame
   and how much each request's work;
5. prints requests per second, p50 and p99 of each phase (all rounds together) and each counter
   request's ratio to the baseline (issue 15's target: >= 0.4; the median of the rounds' ratios, each
   listed), the non-2xx/3xx count (must be 0), and checks that every
   POST made exactly one redemption and one ledger use and that the ledger reconciles. Stops
   gunicorn and drops the database (unless --keep).

Run from the repository root (PostgreSQL on 127.0.0.1:5432):
    .venv/bin/python bench/counter_redeem.py [--clients 16] [--baseline 4000] [--requests 1600]
"""

import argparse
import http.client
import os
import re
import secrets
import sys
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

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
PASSWORD = "bench-pass-" + secrets.token_hex(8)


# --- HTTP client: one keep-alive connection and one cookie jar per simulated terminal ------------


class Terminal:
    """A browser-like client: keeps cookies (also the Secure ones: the bench talks plain HTTP to
    127.0.0.1, as a load balancer terminating TLS would), never follows redirects, and keeps its
    connection open while the server does (gunicorn's sync workers close it after each answer; the
    next request then opens a new one, in every phase alike)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "zh-TW", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server had already closed: only before any answer.
                self.close()
                if attempt:
                    raise
                continue
            for raw in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(raw)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            if response.will_close:
                self.close()
            return response.status, dict(response.headers.items()), text
        raise RuntimeError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _hidden(html: str, name: str, after: str = "") -> str:
    start = html.index(after) if after else 0
    match = re.search(rf'name="{name}" value="([^"]*)"', html[start:])
    if not match:
        raise RuntimeError(f"no {name} field on the page")
    return unescape(match.group(1))


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
    )
    return env


@dataclass
class Seeded:
    usernames: list[str]
    # per client: [(vehicle id, voucher id), ...]
    cars: list[list[tuple[int, int]]]
    # a car of the first advisor's dealer kept for counting statements in this process
    probe: tuple[int, int]


def seed(env: dict, *, clients: int, cars_per_client: int, uses: int, owned: bool = False) -> Seeded:
    """Through the services, in this process (the settings read the same environment)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from bench.baseline import setup_tables
    from loyalty.models import PointsEntry
    from loyalty.services import points_credit
    from members.actors import Actor
    from members.models import Dealer, Member
    from members.services import dealer_staff_assign
    from vehicles.identifiers import vin_check_digit
    from vehicles.models import VehicleModel
    from vehicles.services import vehicle_register
    from vouchers.models import Voucher, VoucherDefinition
    from vouchers.services import definition_publish, voucher_issue

    setup_tables(rows=clients)
    dealer = Dealer.objects.create(code="BENCH", name="Bench 服務廠", city="台北市")
    model = VehicleModel.objects.create(code="BENCH", name="Bench model")
    definition = VoucherDefinition.objects.create(
        name="Bench wash",
        code="bench-wash",
        category=VoucherDefinition.Category.WASH,
        uses_per_voucher=uses,
        validity_policy=VoucherDefinition.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=365,
        wizard_step=4,
    )
    definition_publish(definition=definition)
    user_model = get_user_model()
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    serial = 0

    def car() -> tuple[int, int]:
        nonlocal serial
        serial += 1
        body = f"WBABENCH0{serial:08d}"
        vin = body[:8] + vin_check_digit(body) + body[9:]
        plate = f"B{letters[serial // 24 % 24]}{letters[serial % 24]}-{serial % 10000:04d}"
        owner = None
        if owned:  # the owner panel then has something to show on every page
            owner = Member.objects.create(name=f"車主{serial}", phone=f"+8869{serial:08d}")
            points_credit(
                member=owner,
                kind=PointsEntry.Kind.BONUS,
                points=500,
                key=f"bench-{serial}",
                actor=Actor.system("bench"),
            )
        vehicle = vehicle_register(vin=vin, plate=plate, model=model, owner=owner)
        voucher = voucher_issue(definition=definition, source=Voucher.Source.MANUAL, vehicle=vehicle)[0]
        return vehicle.pk, voucher.pk

    usernames, cars = [], []
    for c in range(clients):
        username = f"bench-sa-{c}"
        user = user_model.objects.create_user(username=username, password=PASSWORD)
        dealer_staff_assign(user=user, dealer=dealer, display_name=f"SA {c}")
        usernames.append(username)
        cars.append([car() for _n in range(cars_per_client)])
    return Seeded(usernames=usernames, cars=cars, probe=car())


def use_path(vehicle_id: int, voucher_id: int) -> str:
    return f"/counter/vehicles/{vehicle_id}/vouchers/{voucher_id}/use/"


def count_statements(seeded: Seeded, *, show: bool = False) -> tuple[tuple[int, int], tuple[int, int]]:
    """SQL statements of one vehicle page GET and one redeem POST (the second of each, so nothing
    is counted that only a session's first request does), through Django's test client."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    client = DjangoClient(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=seeded.usernames[0]))
    vehicle_id, voucher_id = seeded.probe
    page, action = f"/counter/vehicles/{vehicle_id}/", use_path(vehicle_id, voucher_id)
    for n in range(2):
        with CaptureQueriesContext(connection) as got:
            response = client.get(page)
        if response.status_code != 200:
            raise RuntimeError(f"in-process vehicle page answered {response.status_code}")
        token = _hidden(response.content.decode(), "token", after=f'action="{action}"')
        form = {"token": token, "mileage": str(1000 + n), "work_order": f"WO-sql-{n}", "action": "redeem"}
        with CaptureQueriesContext(connection) as posted:
            response = client.post(action, form)
        if response.status_code != 302:
            raise RuntimeError(f"in-process redeem answered {response.status_code}")
    if show:
        for label, queries in (("vehicle page GET", got), ("redeem POST", posted)):
            print(label)
            for number, query in enumerate(queries.captured_queries, 1):
                print(f"  {number:2}. {query['sql'][:220]}")
    return _statements(got), _statements(posted)


def _statements(captured) -> tuple[int, int, int]:
    """(every statement, of which transaction control: BEGIN, COMMIT, of which after the last
    COMMIT: the work queued for after it, e.g. task enqueues on django-q2's ORM broker)."""
    sql = [query["sql"] for query in captured.captured_queries]
    last_commit = max((i for i, text in enumerate(sql) if text == "COMMIT"), default=len(sql) - 1)
    after = len(sql) - 1 - last_commit
    return len(sql), sum(1 for text in sql if text in ("BEGIN", "COMMIT")), after


# --- Phases --------------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float) -> None:
        with self.lock:
            self.latencies.append(latency)

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)

    @classmethod
    def merged(cls, phases: list["Phase"]) -> "Phase":
        """The rounds of one phase as one: every answer, and the seconds they took together."""
        whole = cls(phases[0].name)
        for phase in phases:
            whole.latencies += phase.latencies
            whole.failures += phase.failures
            whole.seconds += phase.seconds
        return whole

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def baseline_phase(port: int, clients: int, per_client: int) -> Phase:
    from bench.baseline import url

    phase = Phase("baseline: raw-SQL lock + update + insert")

    def work(index, barrier):
        terminal = Terminal("127.0.0.1", port)
        path = url(index + 1)  # each client its own row, as each terminal has its own cars
        barrier.wait()
        for _n in range(per_client):
            began = time.perf_counter()
            status, _headers, body = terminal.request("POST", path, {})
            if status == 200:
                phase.add(time.perf_counter() - began)
            else:
                phase.fail(f"baseline answered {status} {body[:200]!r}")
        terminal.close()

    phase.seconds = run_clients(clients, work)
    return phase


def sign_in(terminal: Terminal, username: str) -> None:
    _status, _headers, html = terminal.request("GET", "/counter/login/")
    status, headers, _body = terminal.request(
        "POST",
        "/counter/login/",
        {
            "csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken"),
            "username": username,
            "password": PASSWORD,
        },
    )
    if status != 302 or headers.get("Location") != "/counter/":
        raise RuntimeError(f"log-in of {username} failed: {status}")


@dataclass
class PendingForm:
    """A redeem form as a page rendered it, waiting to be posted."""

    action: str
    fields: dict


class Counter:
    """The signed-in terminals and, per terminal, the forms its pages rendered (posted in order:
    the readings rise with the order the pages were fetched)."""

    def __init__(self, port: int, seeded: Seeded):
        self.port, self.seeded = port, seeded
        self.terminals = []
        for username in seeded.usernames:
            terminal = Terminal("127.0.0.1", port)
            sign_in(terminal, username)
            self.terminals.append(terminal)
        self.pending: list[list[PendingForm]] = [[] for _ in seeded.usernames]
        self.fetched = [0] * len(seeded.usernames)

    def page_phase(self, per_client: int, name: str = "vehicle page GET /counter/vehicles/{id}/") -> Phase:
        phase = Phase(name)

        def work(index, barrier):
            terminal, cars = self.terminals[index], self.seeded.cars[index]
            barrier.wait()
            for _n in range(per_client):
                serial = self.fetched[index]
                self.fetched[index] += 1
                vehicle_id, voucher_id = cars[serial % len(cars)]
                began = time.perf_counter()
                status, _headers, html = terminal.request("GET", f"/counter/vehicles/{vehicle_id}/")
                elapsed = time.perf_counter() - began
                if status != 200:
                    phase.fail(f"vehicle page answered {status}")
                    continue
                phase.add(elapsed)
                action = use_path(vehicle_id, voucher_id)
                fields = {
                    "csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken", after=f'action="{action}"'),
                    "token": _hidden(html, "token", after=f'action="{action}"'),
                    "mileage": str(10_000 + serial),
                    "work_order": f"WO-{index}-{serial}",
                    "action": "redeem",
                }
                self.pending[index].append(PendingForm(action, fields))

        phase.seconds = run_clients(len(self.terminals), work)
        return phase

    def floor_page_phase(self, per_client: int) -> Phase:
        """GET the counter floor's page (bench/counter_floor.py) and keep its form for
        `floor_post_phase`."""
        from bench.counter_floor import url

        phase = Phase("counter floor GET: counter page frame + baseline row")
        self.floor_forms: list[list[dict]] = [[] for _ in self.terminals]

        def work(index, barrier):
            terminal, path = self.terminals[index], url(index + 1)
            barrier.wait()
            for _n in range(per_client):
                began = time.perf_counter()
                status, _headers, html = terminal.request("GET", path)
                elapsed = time.perf_counter() - began
                if status != 200:
                    phase.fail(f"counter floor page answered {status}")
                    continue
                phase.add(elapsed)
                token = _hidden(html, "csrfmiddlewaretoken", after=f'action="{path}"')
                self.floor_forms[index].append({"csrfmiddlewaretoken": token})

        phase.seconds = run_clients(len(self.terminals), work)
        return phase

    def floor_post_phase(self) -> Phase:
        from bench.counter_floor import url

        phase = Phase("counter floor POST: counter form + baseline SQL")

        def work(index, barrier):
            terminal, path, forms = self.terminals[index], url(index + 1), self.floor_forms[index]
            barrier.wait()
            for form in forms:
                began = time.perf_counter()
                status, headers, _body = terminal.request("POST", path, form)
                elapsed = time.perf_counter() - began
                if status == 302 and headers.get("Location") == path:
                    phase.add(elapsed)
                else:
                    phase.fail(f"counter floor POST answered {status} {headers.get('Location', '')}")

        phase.seconds = run_clients(len(self.terminals), work)
        return phase

    def post_phase(self, name: str = "redeem POST /counter/vehicles/{id}/vouchers/{id}/use/") -> Phase:
        phase = Phase(name)

        def work(index, barrier):
            terminal, forms = self.terminals[index], self.pending[index]
            self.pending[index] = []
            barrier.wait()
            for form in forms:
                began = time.perf_counter()
                status, headers, _body = terminal.request("POST", form.action, form.fields)
                elapsed = time.perf_counter() - began
                if status == 302 and headers.get("Location", "").startswith("/counter/redemptions/"):
                    phase.add(elapsed)
                else:
                    phase.fail(f"redeem answered {status} {headers.get('Location', '')}")

        phase.seconds = run_clients(len(self.terminals), work)
        return phase

    def close(self) -> None:
        for terminal in self.terminals:
            terminal.close()


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
            f"{expected_redemptions} redeem POSTs answered but {redemptions} redemptions, {uses} ledger uses"
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


def report(phases: list[Phase], ratios: list[list[float]], statements, args) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:8.1f} ms"

    print()
    print(
        f"gunicorn {args.workers} sync workers, {args.clients} clients, PostgreSQL, production settings, "
        f"{os.cpu_count()} CPUs shared by clients, server and database"
    )
    print(f"{'phase':<56} {'ok':>6} {'failed':>7} {'req/s':>8} {'p50':>11} {'p99':>11}")
    for phase in phases:
        print(
            f"{phase.name:<56} {phase.ok:>6} {len(phase.failures):>7} {phase.per_second:>8.1f} "
            f"{ms(percentile(phase.latencies, 0.5))} {ms(percentile(phase.latencies, 0.99))}"
        )
    print()
    print(f"ratio  vehicle page GET req/s / baseline req/s : {ratio_of_rounds(ratios[0])}  (target >= 0.4)")
    print(f"ratio  redeem POST req/s / baseline req/s      : {ratio_of_rounds(ratios[1])}  (target >= 0.4)")
    print(f"ratio  counter floor GET / baseline            : {ratio_of_rounds(ratios[2])}")
    print(f"ratio  counter floor POST / baseline           : {ratio_of_rounds(ratios[3])}")
    print(f"ratio  vehicle page GET / counter floor GET    : {ratio_of_rounds(ratios[4])}")
    print(f"ratio  redeem POST / counter floor POST        : {ratio_of_rounds(ratios[5])}")
    for label, (count, control, after), target in (
        ("vehicle page GET", statements[0], 8),
        ("redeem POST     ", statements[1], 10),
    ):
        queued = f"; {after} after the COMMIT (task enqueues, none with Q_BROKER=redis)" if after else ""
        print(
            f"SQL statements per {label}            : {count:6d}  "
            f"({count - control} without BEGIN/COMMIT{queued}; target <= {target})"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent terminals (default 16)")
    parser.add_argument("--baseline", type=int, default=4000, help="baseline requests (default 4000)")
    parser.add_argument(
        "--requests",
        type=int,
        default=1600,
        help="vehicle page GETs, and as many redeem POSTs (default 1600)",
    )
    parser.add_argument("--cars", type=int, default=4, help="cars per terminal (default 4)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8130)
    parser.add_argument("--database", default="vouchers_bench_counter")
    parser.add_argument("--rounds", type=rounds_count, default=3, help=ROUNDS_HELP)
    parser.add_argument("--show-sql", action="store_true", help="print the statements of both requests")
    parser.add_argument(
        "--owned", action="store_true", help="every car has an owner with points (the counter's owner panel)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    per_client = args.requests // args.clients
    warm = 3
    uses = min(32000, per_client // args.cars + warm + 10)
    env = server_environment(args)
    print(f"setting up database {args.database} ...", flush=True)
    postgres(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
    postgres(f'CREATE DATABASE "{args.database}"')
    process = counter = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        seeded = seed(env, clients=args.clients, cars_per_client=args.cars, uses=uses, owned=args.owned)
        statements = count_statements(seeded, show=args.show_sql)
        from django.db import connections

        connections.close_all()
        log_path = ROOT / "test-artifacts" / "bench-counter-redeem-gunicorn.log"
        log_path.parent.mkdir(exist_ok=True)
        process = start_gunicorn(env, args.port, log_path, Terminal)
        print(
            f"gunicorn pid {process.pid} on 127.0.0.1:{args.port}; signing in and warming up ...", flush=True
        )
        counter = Counter(args.port, seeded)
        warm_phases = [
            baseline_phase(args.port, args.clients, 20),
            counter.floor_page_phase(warm),
            counter.floor_post_phase(),
            counter.page_phase(warm, "warm-up GET"),
            counter.post_phase("warm-up POST"),
        ]
        print("measuring ...", flush=True)
        rounds = []
        for _round in range(args.rounds):
            rounds.append(
                (
                    baseline_phase(args.port, args.clients, args.baseline // args.clients // args.rounds),
                    counter.page_phase(per_client // args.rounds),
                    counter.post_phase(),
                    counter.floor_page_phase(per_client // args.rounds),
                    counter.floor_post_phase(),
                )
            )
        merged = [Phase.merged([phases[side] for phases in rounds]) for side in range(5)]

        def ratios_of(top: int, bottom: int) -> list[float]:
            return [phases[top].per_second / phases[bottom].per_second for phases in rounds]

        # page, POST, floor GET and floor POST against the baseline; page and POST against their floors
        ratios = [
            ratios_of(1, 0),
            ratios_of(2, 0),
            ratios_of(3, 0),
            ratios_of(4, 0),
            ratios_of(1, 3),
            ratios_of(2, 4),
        ]
        report([merged[0], merged[3], merged[4], merged[1], merged[2]], ratios, statements, args)
        problems = [
            f"{phase.name}: {phase.failures[:3]}" for phase in (*warm_phases, *merged) if phase.failures
        ]
        # The floor's POSTs count on the baseline's tables too.
        floor_posts = warm_phases[2].ok + merged[4].ok
        problems += verify(
            2 + warm_phases[4].ok + merged[2].ok, warm_phases[0].ok + merged[0].ok + floor_posts
        )
        if problems:
            print("\nPROBLEMS:\n  " + "\n  ".join(problems))
            return 1
        print(
            "\ncheck: no failed request; one redemption and one ledger use per POST; the ledger reconciles."
        )
        return 0
    finally:
        if counter is not None:
            counter.close()
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
