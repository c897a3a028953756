"""How fast could the API redeem be without its Python? Four kinds of request compared:

- baseline: the raw-SQL view (bench/baseline.py: lock a row, update it, insert a row);
- partner floor: the partner API's machinery around the baseline's SQL (bench/partner_floor.py);
- ceiling: the partner floor whose work is the statements one real redeem sent of its own, recorded
  and sent again as they were, answering the recorded answer (bench/redeem_ceiling_view.py): what a
  redeem written by hand, outside the ORM and DRF's serializers, would cost at best while it keeps
  its statements, the per-key limit and the stored answer;
- redeem: the real `POST /api/v1/vouchers/{code}/redeem`.

In-process (the default): each kind through Django's WSGI handler in this process, CPU per request
of the worker and of the PostgreSQL backend, the kinds alternating (bench/ceiling.py says how). With
`--load`: throughput on one gunicorn under the same load as bench/api_redeem.py (16 keep-alive
clients, 5 workers, production settings), the four phases in turn in each round, and each phase's
ratio to the baseline (the median round's). Each client redeems its own cars and replays a recording
of a car of its own that the redeems do not touch.

It creates its own PostgreSQL database (seeded through the services, as bench/api_redeem.py seeds
it) and drops it: the replays leave their cars' vouchers inconsistent with their ledgers.

Run from the repository root (PostgreSQL on 127.0.0.1:5432):
    .venv/bin/python bench/redeem_ceiling.py [--requests 400] [--rounds 3]
    .venv/bin/python bench/redeem_ceiling.py --load [--rounds 3]
"""

import json
import os
import sys
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages, bench included

from bench import api_redeem, ceiling  # noqa: E402
from bench.harness import percentile, ratio_of_rounds, start_gunicorn, stop  # noqa: E402


def floor_tables() -> tuple[str, ...]:
    """The tables of what the partner floor sends itself: the per-key limit and the stored answer."""
    from members.models import RateLimitBucket
    from redemption.partner_models import IdempotencyRecord

    return RateLimitBucket._meta.db_table, IdempotencyRecord._meta.db_table


class InProcess:
    """The four kinds for one client, each a call of the WSGI handler answering 200."""

    def __init__(self, token: str):
        from django.core.wsgi import get_wsgi_application

        from bench import baseline, partner_floor, redeem_ceiling_view

        self.app = get_wsgi_application()
        self.token = token
        self.mileage = 20_000
        self.paths = {
            "baseline": baseline.url(1),
            "partner floor": partner_floor.url(1),
            "ceiling": redeem_ceiling_view.url(1),
        }

    def post(self, path: str, body: dict, partner: bool) -> bytes:
        headers = {"HTTP_ACCEPT": "application/json", "CONTENT_TYPE": "application/json"}
        if partner:
            headers |= {
                "HTTP_AUTHORIZATION": f"Bearer {self.token}",
                "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4()),
            }
        return ceiling.wsgi_call(self.app, "POST", path, body=json.dumps(body).encode(), headers=headers)

    def kind(self, name: str):
        return lambda: self.post(self.paths[name], {}, partner=name != "baseline")

    def record(self, client: int, car: tuple[str, str]):
        """Record one real redeem of `car` as `client`'s ceiling (bench/redeem_ceiling_view.py)."""
        from bench import redeem_ceiling_view

        return redeem_ceiling_view.record(client, lambda: self.redeem(*car), floor_tables=floor_tables())

    def redeem(self, code: str, vin: str) -> bytes:
        self.mileage += 1
        body = api_redeem.redeem_body(vin, self.mileage, "WO-ceiling")
        return self.post(f"/api/v1/vouchers/{code}/redeem", body, partner=True)


def in_process(env: dict, plan: ceiling.Run) -> None:
    uses = (plan.requests + plan.warm) * plan.rounds + 3 * plan.warm
    seeded = api_redeem.seed(env, clients=1, cars_per_client=2, uses=uses)
    redeemed, replayed = seeded.cars[0]
    requests = InProcess(seeded.token)
    for _n in range(plan.warm):  # the redeem's statements prepared, its plans cached, before recording
        requests.redeem(*redeemed)
    shape = requests.record(1, replayed)
    runs = {
        "baseline": requests.kind("baseline"),
        "partner floor": requests.kind("partner floor"),
        "ceiling": requests.kind("ceiling"),
        "redeem": lambda: requests.redeem(*redeemed),
    }
    sends = (
        f"the redeem's {len(shape.before)} statement(s) before its transaction and {len(shape.inside)} in it"
    )
    ceiling.measure_and_print(runs, plan, sends=sends, machinery="the partner machinery")


def under_load(env: dict, args) -> int:
    """The phases of bench/api_redeem.py plus the ceiling's, on one gunicorn."""
    clients, cars, warm = 16, 4, 5
    per_client = {"baseline": 6000 // clients, "floor": 4000 // clients, "redeem": 3000 // clients}
    seeded = api_redeem.seed(
        env, clients=clients, cars_per_client=cars + 1, uses=per_client["redeem"] // cars + 40
    )
    replayed = [own.pop() for own in seeded.cars]  # a car of each client's own for its replays
    from django.db import connections

    from bench import redeem_ceiling_view

    recorder = InProcess(seeded.token)
    for client, car in enumerate(replayed, start=1):
        recorder.record(client, car)
    with tempfile.TemporaryDirectory() as folder:
        recordings = Path(folder) / "recordings.pickle"
        redeem_ceiling_view.save(recordings)
        env[redeem_ceiling_view.RECORDINGS_FILE] = str(recordings)
        connections.close_all()
        log_path = ROOT / "test-artifacts" / "bench-redeem-ceiling-gunicorn.log"
        log_path.parent.mkdir(exist_ok=True)
        process = start_gunicorn(env, args.port, log_path, api_redeem.Client)
        try:
            return _phases(args, env, seeded, per_client, warm)
        finally:
            stop(process)


def _phases(args, env: dict, seeded, per_client: dict, warm: int) -> int:
    port, clients, rounds = args.port, len(seeded.cars), args.rounds
    mileage = api_redeem.Mileage(clients)
    phases = {
        "baseline": lambda count: api_redeem.baseline_phase(port, clients, count),
        "partner floor": lambda count: api_redeem.floor_phase(port, seeded.token, clients, count),
        "ceiling": lambda count: api_redeem.floor_phase(port, seeded.token, clients, count, ceiling=True),
        "redeem": lambda count, label="run": api_redeem.redeem_phase(port, seeded, count, mileage, label),
    }
    counts = {"baseline": per_client["baseline"], "partner floor": per_client["floor"]}
    counts |= {"ceiling": per_client["floor"], "redeem": per_client["redeem"]}
    print("warming up ...", flush=True)
    measured = {name: [run(warm)] for name, run in phases.items()}
    print("measuring ...", flush=True)
    per_round = []
    for _round in range(rounds):
        per_round.append({name: run(counts[name] // rounds) for name, run in phases.items()})
    print(
        f"\ngunicorn {env['GUNICORN_WORKERS']} sync workers, {clients} clients, PostgreSQL, production"
        " settings"
    )
    print(f"{'phase':<50} {'2xx':>6} {'non-2xx':>8} {'req/s':>8} {'p50':>11} {'p99':>11}")
    failed = []
    for name in phases:
        merged = api_redeem.Phase.merged([done[name] for done in per_round])
        failed += [
            f"{phase.name}: non-2xx {phase.failures}" for phase in [*measured[name], merged] if phase.failures
        ]
        p50, p99 = (percentile(merged.latencies, q) * 1000 for q in (0.5, 0.99))
        print(
            f"{merged.name:<50} {merged.ok:>6} {sum(merged.failures.values()):>8} {merged.per_second:>8.1f} "
            f"{p50:8.1f} ms {p99:8.1f} ms"
        )
    print()
    for name in ("partner floor", "ceiling", "redeem"):
        ratios = [done[name].per_second / done["baseline"].per_second for done in per_round]
        print(f"ratio  {name + ' req/s / baseline req/s':<40}: {ratio_of_rounds(ratios)}")
    ratios = [done["redeem"].per_second / done["ceiling"].per_second for done in per_round]
    print(f"ratio  {'redeem / ceiling':<40}: {ratio_of_rounds(ratios)}")
    if failed:
        print("\nPROBLEMS:\n  " + "\n  ".join(failed))
        return 1
    return 0


def main() -> int:
    def more(parser):
        parser.add_argument(
            "--load", action="store_true", help="throughput on gunicorn under load, not in-process"
        )
        parser.add_argument("--port", type=int, default=8123)

    args, plan = ceiling.arguments(__doc__, requests=400, database="vouchers_bench_ceiling", more=more)
    workers = (os.cpu_count() or 1) * 2 + 1
    env = api_redeem.server_environment(
        SimpleNamespace(database=args.database, port=args.port, workers=workers, ratelimit_redis="")
    )
    with ceiling.bench_database(args.database, env):
        if args.load:
            return under_load(env, args)
        in_process(env, plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
