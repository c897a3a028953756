"""How fast could the API redeem be without its Python? CPU per request, in this process, of four
kinds of request (bench/ceiling.py says how it measures):

- baseline: the raw-SQL view (bench/baseline.py: lock a row, update it, insert a row);
- partner floor: the partner API's machinery around the baseline's SQL (bench/partner_floor.py);
- ceiling: the same partner floor view whose work is the real redeem's own statements, recorded from
  one real redeem and sent again as they were (a fresh idempotency key and mileage each time), with
  the real answer's JSON: no lookups made into instances, no rule checked, no answer built. It is
  what a redeem written by hand, outside the ORM and DRF's serializers, would cost at best while it
  keeps the statements, the per-key limit and the stored answer;
- redeem: the real `POST /api/v1/vouchers/{code}/redeem`.

It creates its own PostgreSQL database (seeded through the services, as bench/api_redeem.py seeds
it) and drops it.

Run from the repository root (PostgreSQL on 127.0.0.1:5432):
    .venv/bin/python bench/redeem_ceiling.py [--requests 400] [--rounds 3]
"""

import json
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages, bench included

from bench import ceiling  # noqa: E402
from bench.api_redeem import redeem_body, seed, server_environment  # noqa: E402


class Requests(ceiling.Kinds):
    """The four kinds, each answering 200."""

    def __init__(self, seeded):
        from django.core.wsgi import get_wsgi_application

        from bench.baseline import url as baseline_url
        from bench.partner_floor import url as floor_url

        self.app = get_wsgi_application()
        self.token = seeded.token
        self.code, self.vin = seeded.cars[0][0]
        self.mileage = 600_000  # far from any other number the statements carry
        self.baseline_path, self.floor_path = baseline_url(1), floor_url(1)

    def post(self, path: str, body: dict, headers: dict) -> bytes:
        headers = {"HTTP_ACCEPT": "application/json", "CONTENT_TYPE": "application/json", **headers}
        return ceiling.wsgi_call(self.app, "POST", path, body=json.dumps(body).encode(), headers=headers)

    def partner(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}", "HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}

    def baseline(self) -> bytes:
        return self.post(self.baseline_path, {}, {})

    def floor(self) -> bytes:
        return self.post(self.floor_path, {}, self.partner())

    def redeem(self) -> bytes:
        self.mileage += 1
        body = redeem_body(self.vin, self.mileage, "WO-ceiling")
        return self.post(f"/api/v1/vouchers/{self.code}/redeem", body, self.partner())


def install_ceiling(requests: Requests) -> tuple[int, int]:
    """Make the partner floor view's work, for `requests.ceiling`, the statements one real redeem
    sends of its own (not the per-key limit's nor the stored answer's, which the floor sends too);
    (statements before the transaction, statements in it)."""
    from django.db import connection, transaction
    from rest_framework.response import Response

    from bench.partner_floor import PartnerFloorView
    from members.models import RateLimitBucket
    from redemption.partner_models import IdempotencyRecord

    recorded, answer = ceiling.record_statements(requests.redeem)
    answer = json.loads(answer)
    floor_tables = (RateLimitBucket._meta.db_table, IdempotencyRecord._meta.db_table)
    own = [item for item in recorded if not any(f'"{table}"' in item[0] for table in floor_tables)]
    recorded_key = next(
        value for _sql, params, _in in own for value in params if str(value).startswith("api:")
    )
    recorded_mileage = requests.mileage

    def fresh(in_transaction: bool, key: str, mileage: int) -> list[tuple[str, list]]:
        swap = {recorded_key: key, recorded_mileage: mileage}
        return [
            (sql, [swap.get(value, value) if isinstance(value, str | int) else value for value in params])
            for sql, params, inside in own
            if inside == in_transaction
        ]

    def as_redeem(row: int, idempotency_key: str, keep):
        requests.mileage += 1
        key = f"ceiling:{idempotency_key}"
        with connection.cursor() as cursor:
            ceiling.send(cursor, fresh(False, key, requests.mileage))
        with transaction.atomic(), connection.cursor() as cursor:
            ceiling.send(cursor, fresh(True, key, requests.mileage))
            return keep(Response(answer))

    floor_use = PartnerFloorView._use

    def use(view, row: int, idempotency_key: str, keep):
        if requests.as_ceiling:
            return as_redeem(row, idempotency_key, keep)
        return floor_use(view, row, idempotency_key, keep)

    PartnerFloorView._use = use
    return sum(1 for item in own if not item[2]), sum(1 for item in own if item[2])


def main() -> int:
    args, plan = ceiling.arguments(__doc__, requests=400, database="vouchers_bench_ceiling")
    env = server_environment(SimpleNamespace(database=args.database, port=0, workers=1, ratelimit_redis=""))
    with ceiling.bench_database(args.database, env):
        uses = (plan.requests + plan.warm) * plan.rounds + 2 * plan.warm
        requests = Requests(seed(env, clients=1, cars_per_client=1, uses=uses))
        for _n in range(plan.warm):  # the redeem's statements prepared, its plans cached, before recording
            requests.redeem()
        before, inside = install_ceiling(requests)
        runs = {
            "baseline": requests.baseline,
            "partner floor": requests.floor,
            "ceiling": requests.ceiling,
            "redeem": requests.redeem,
        }
        sends = f"the redeem's {before} statement(s) before its transaction and {inside} in it"
        ceiling.measure_and_print(runs, plan, sends=sends, machinery="the partner machinery")
    return 0


if __name__ == "__main__":
    sys.exit(main())
