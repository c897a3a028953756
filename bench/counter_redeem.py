"""Counter redemption throughput through the real HTTP form flow, against a minimal view, in one run.

What it does:
1. creates its own PostgreSQL database (default `vouchers_bench3`), migrates it, collects static
   files, and seeds one dealer, one advisor per client, and per client a set of cars each holding a
   voucher with many uses (through the services, so the ledger is right);
2. starts gunicorn from the virtualenv (`config/gunicorn.conf.py`, production settings: DEBUG off,
   persistent database connections) on 127.0.0.1;
3. phase "minimal": the clients GET `/counter/health/` (no database, no session) as fast as they can;
4. phase "redeem": each client signs in once through the log-in form, then loops: GET a car's
   counter page, read the redeem form's one-time token, POST the form (mileage, work order) and
   check that it answers with the redirect to the receipt;
5. prints throughput, p50 and p99 latency of both phases and their ratios; checks that exactly one
   redemption and one ledger entry exist per successful POST and that the ledger reconciles; stops
   gunicorn and drops the database (unless --keep).

Run from the repository root:
    .venv/bin/python bench/counter_redeem.py [--clients 8] [--redemptions 1200] [--minimal 6000]
"""

import argparse
import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from html import unescape
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PASSWORD = "bench-pass-" + secrets.token_hex(8)


# --- HTTP client: one cookie jar per simulated terminal ------------------------------------------


class Terminal:
    """A browser-like HTTP client: keeps cookies (also the Secure ones: the bench talks plain HTTP
    to 127.0.0.1, as a load balancer terminating TLS would), never follows redirects."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, str]:
        headers = {"Host": f"{self.host}:{self.port}", "Accept-Language": "zh-TW"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for raw in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(raw)
                for name, morsel in cookie.items():
                    self.cookies[name] = morsel.value
            return response.status, dict(response.headers.items()), text
        finally:
            connection.close()


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
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    return env


def recreate_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(env: dict, *command: str) -> None:
    subprocess.run([str(VENV_BIN / "python"), "manage.py", *command], cwd=ROOT, env=env, check=True)


@dataclass
class Seeded:
    usernames: list[str]
    # per client: [(vehicle id, voucher id), ...]
    cars: list[list[tuple[int, int]]]


def seed(env: dict, *, clients: int, cars_per_client: int, uses: int) -> Seeded:
    """Through the services, in this process (the settings read the same environment)."""
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections

    from members.models import Dealer
    from members.services import dealer_staff_assign
    from vehicles.identifiers import vin_check_digit
    from vehicles.models import VehicleModel
    from vehicles.services import vehicle_register
    from vouchers.models import Voucher, VoucherDefinition
    from vouchers.services import definition_publish, voucher_issue

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
    usernames, cars = [], []
    serial = 0
    for c in range(clients):
        username = f"bench-sa-{c}"
        user = user_model.objects.create_user(username=username, password=PASSWORD)
        dealer_staff_assign(user=user, dealer=dealer, display_name=f"SA {c}")
        usernames.append(username)
        own = []
        for _n in range(cars_per_client):
            serial += 1
            body = f"WBABENCH0{serial:08d}"
            vin = body[:8] + vin_check_digit(body) + body[9:]
            letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
            plate = f"B{letters[serial // 24 % 24]}{letters[serial % 24]}-{serial % 10000:04d}"
            vehicle = vehicle_register(vin=vin, plate=plate, model=model)
            voucher = voucher_issue(definition=definition, source=Voucher.Source.MANUAL, vehicle=vehicle)[0]
            own.append((vehicle.pk, voucher.pk))
        cars.append(own)
    connections.close_all()
    return Seeded(usernames=usernames, cars=cars)


def start_gunicorn(env: dict, port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "--access-logfile", "-", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    probe = Terminal("127.0.0.1", port)
    for _attempt in range(100):
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log_path}")
        try:
            if probe.request("GET", "/counter/health/")[0] == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer; see {log_path}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- The two phases ------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # the measured request, seconds
    flows: list[float] = field(default_factory=list)  # whole GET+POST flow (redeem phase)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, latency: float, flow: float | None = None) -> None:
        with self.lock:
            self.latencies.append(latency)
            if flow is not None:
                self.flows.append(flow)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run_threads(count: int, target) -> float:
    barrier = threading.Barrier(count + 1)
    threads = [threading.Thread(target=target, args=(i, barrier)) for i in range(count)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def minimal_phase(port: int, clients: int, total: int) -> Phase:
    phase = Phase("minimal view GET /counter/health/")
    per_client = total // clients

    def work(_index, barrier):
        terminal = Terminal("127.0.0.1", port)
        barrier.wait()
        for _n in range(per_client):
            began = time.perf_counter()
            status, _headers, _body = terminal.request("GET", "/counter/health/")
            elapsed = time.perf_counter() - began
            if status == 200:
                phase.add(elapsed)
            else:
                phase.fail(f"health answered {status}")

    phase.seconds = run_threads(clients, work)
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


def redeem_phase(port: int, seeded: Seeded, total: int) -> Phase:
    phase = Phase("redeem: GET vehicle page + POST the redeem form")
    clients = len(seeded.usernames)
    per_client = total // clients
    terminals = []
    for username in seeded.usernames:  # sign in before the clock starts
        terminal = Terminal("127.0.0.1", port)
        sign_in(terminal, username)
        terminals.append(terminal)

    def work(index, barrier):
        terminal, cars = terminals[index], seeded.cars[index]
        barrier.wait()
        for n in range(per_client):
            vehicle_id, voucher_id = cars[n % len(cars)]
            action = f"/counter/vehicles/{vehicle_id}/vouchers/{voucher_id}/use/"
            began = time.perf_counter()
            status, _headers, html = terminal.request("GET", f"/counter/vehicles/{vehicle_id}/")
            if status != 200:
                phase.fail(f"vehicle page answered {status}")
                continue
            form = {
                "csrfmiddlewaretoken": _hidden(html, "csrfmiddlewaretoken", after=f'action="{action}"'),
                "token": _hidden(html, "token", after=f'action="{action}"'),
                "mileage": str(10000 + n),
                "work_order": f"WO-{index}-{n}",
                "action": "redeem",
            }
            posted = time.perf_counter()
            status, headers, _body = terminal.request("POST", action, form)
            done = time.perf_counter()
            if status == 302 and headers.get("Location", "").startswith("/counter/redemptions/"):
                phase.add(done - posted, done - began)
            else:
                phase.fail(f"redeem answered {status} {headers.get('Location', '')}")

    phase.seconds = run_threads(clients, work)
    return phase


def verify(expected: int) -> list[str]:
    """Exactly one redemption and one ledger entry per successful POST; the ledger reconciles."""
    from redemption.models import Redemption
    from vouchers.models import LedgerEntry
    from vouchers.selectors import ledger_drift

    problems = []
    redemptions = Redemption.objects.count()
    redeemed = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REDEEMED).count()
    if redemptions != expected or redeemed != expected:
        problems.append(f"{expected} successful POSTs but {redemptions} redemptions, {redeemed} ledger uses")
    drift = ledger_drift().count()
    if drift:
        problems.append(f"{drift} vouchers disagree with their ledger")
    return problems


def report(minimal: Phase, redeem: Phase, args) -> None:
    def ms(value: float) -> str:
        return f"{value * 1000:7.1f} ms"

    minimal_rps = len(minimal.latencies) / minimal.seconds
    redeem_rps = len(redeem.latencies) / redeem.seconds
    print()
    print(
        f"gunicorn {args.workers} sync workers, {args.clients} concurrent clients, PostgreSQL, DEBUG off, "
        f"{os.cpu_count()} CPUs (clients, server and database share them)"
    )
    print(f"{'phase':<50} {'count':>6} {'per second':>11} {'p50':>10} {'p99':>10}")
    print(
        f"{minimal.name:<50} {len(minimal.latencies):>6} {minimal_rps:>11.1f} "
        f"{ms(percentile(minimal.latencies, 0.5))} {ms(percentile(minimal.latencies, 0.99))}"
    )
    print(
        f"{'redeem POST (the redemption request)':<50} {len(redeem.latencies):>6} {redeem_rps:>11.1f} "
        f"{ms(percentile(redeem.latencies, 0.5))} {ms(percentile(redeem.latencies, 0.99))}"
    )
    print(
        f"{'redeem flow (GET page + POST form)':<50} {len(redeem.flows):>6} {redeem_rps:>11.1f} "
        f"{ms(percentile(redeem.flows, 0.5))} {ms(percentile(redeem.flows, 0.99))}"
    )
    print()
    print(f"throughput ratio  minimal GET / redemptions      : {minimal_rps / redeem_rps:6.1f} x")
    print(
        f"latency ratio     redeem POST p50 / minimal p50  : "
        f"{percentile(redeem.latencies, 0.5) / percentile(minimal.latencies, 0.5):6.1f} x"
    )
    print(
        f"latency ratio     redeem POST p99 / minimal p99  : "
        f"{percentile(redeem.latencies, 0.99) / percentile(minimal.latencies, 0.99):6.1f} x"
    )
    print(
        f"latency ratio     redeem flow p50 / minimal p50  : "
        f"{percentile(redeem.flows, 0.5) / percentile(minimal.latencies, 0.5):6.1f} x"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent terminals (default 8)")
    parser.add_argument("--redemptions", type=int, default=1200, help="redemptions in total (default 1200)")
    parser.add_argument(
        "--minimal", type=int, default=6000, help="minimal-view requests in total (default 6000)"
    )
    parser.add_argument("--cars", type=int, default=10, help="cars per terminal (default 10)")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=18310)
    parser.add_argument("--database", default="vouchers_bench3")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    uses = min(32000, args.redemptions // (args.clients * args.cars) + 10)
    env = server_environment(args)
    print(f"setting up database {args.database} ...", flush=True)
    recreate_database(args.database)
    process = None
    try:
        manage(env, "migrate", "--noinput", "-v", "0")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        seeded = seed(env, clients=args.clients, cars_per_client=args.cars, uses=uses)
        log_path = ROOT / "test-artifacts" / "bench-counter-redeem-gunicorn.log"
        log_path.parent.mkdir(exist_ok=True)
        process = start_gunicorn(env, args.port, log_path)
        print(f"gunicorn pid {process.pid} on 127.0.0.1:{args.port}; warming up ...", flush=True)
        minimal_phase(args.port, args.clients, args.clients * 50)  # warm every worker and connection
        minimal = minimal_phase(args.port, args.clients, args.minimal)
        redeem = redeem_phase(args.port, seeded, args.redemptions)
        report(minimal, redeem, args)
        problems = minimal.errors[:5] + redeem.errors[:5] + verify(len(redeem.latencies))
        if problems:
            print("\nPROBLEMS:\n  " + "\n  ".join(problems))
            return 1
        print("\ncheck: one redemption and one ledger entry per successful POST; the ledger reconciles.")
        return 0
    finally:
        if process is not None:
            stop(process)
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        if not args.keep:
            drop_database(args.database)


if __name__ == "__main__":
    sys.exit(main())
