"""The ceiling of a hand-written API redeem, as a view: the partner floor (bench/partner_floor.py: the
API key, scope, per-key limit, Idempotency-Key and stored answer of every partner POST) whose work is
the statements one real redeem sent of its own, recorded (`record`), sent again as they were with
this request's idempotency key, answering the recorded answer. No lookups made into instances, no
rule checked, no answer built: what a redeem written by hand outside the ORM and DRF's serializers
would cost at best while it keeps its statements.

Served by `bench.baseline_urls` at `/bench/redeem-ceiling/<client>/`. The recordings are made in
the benchmark's process (bench/redeem_ceiling.py); gunicorn's workers read them from the file named by
`BENCH_CEILING_RECORDINGS`, which the benchmark writes before it starts gunicorn. Each client has its
own car, whose voucher the replays leave inconsistent with its ledger: a benchmark database only.
"""

import json
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path

from django.db import connection, transaction
from django.http import Http404
from rest_framework.response import Response

from .ceiling import record_statements, send
from .partner_floor import PartnerFloorView

PATH = "bench/redeem-ceiling/<int:client>/"
RECORDINGS_FILE = "BENCH_CEILING_RECORDINGS"
# The idempotency key a partner's request gives the services (`redemption.api.idempotency.service_key`)
# with the UUID the benchmarks send; the actor's label ("api:<key name>") must not match.
SERVICE_KEY = re.compile(r"api:\d+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def url(client: int) -> str:
    return f"/bench/redeem-ceiling/{client}/"


@dataclass(frozen=True)
class Recording:
    before: list[tuple[str, list]]  # the statements sent before the transaction
    inside: list[tuple[str, list]]  # and in it
    key: str  # the idempotency key the services saw, as it appears in the parameters
    answer: dict

    def statements(self, statements: list[tuple[str, list]], key: str) -> list[tuple[str, list]]:
        return [
            (sql, [key if value == self.key else value for value in params]) for sql, params in statements
        ]


_recordings: dict[int, Recording] = {}


def record(client: int, redeem, *, floor_tables: tuple[str, ...]) -> Recording:
    """Make one real redeem (`redeem()`, answering its JSON) and keep, for `client`, the statements it
    sent except those touching `floor_tables` (the per-key limit's and the stored answer's, which the
    floor sends itself)."""
    recorded, answer = record_statements(redeem)
    sent = [item for item in recorded if not any(f'"{table}"' in item[0] for table in floor_tables)]
    key = next(value for _sql, params, _in in sent for value in params if SERVICE_KEY.fullmatch(str(value)))
    _recordings[client] = Recording(
        before=[(sql, params) for sql, params, inside in sent if not inside],
        inside=[(sql, params) for sql, params, inside in sent if inside],
        key=key,
        answer=json.loads(answer),
    )
    return _recordings[client]


def save(path: Path) -> None:
    """Write the recordings for gunicorn's workers (`RECORDINGS_FILE` names the file)."""
    path.write_bytes(pickle.dumps(_recordings))


def _recording(client: int) -> Recording:
    if not _recordings and os.environ.get(RECORDINGS_FILE):
        # The benchmark's own file, written by `save` in the same run.
        _recordings.update(pickle.loads(Path(os.environ[RECORDINGS_FILE]).read_bytes()))
    try:
        return _recordings[client]
    except KeyError:
        raise Http404 from None


class RedeemCeilingView(PartnerFloorView):
    def post(self, request, client: int):
        return self.idempotent_in_service(request, lambda key, keep: self._replay(client, key, keep))

    def _replay(self, client: int, idempotency_key: str, keep):
        recording = _recording(client)
        with connection.cursor() as cursor:
            send(cursor, recording.statements(recording.before, idempotency_key))
        with transaction.atomic(), connection.cursor() as cursor:
            send(cursor, recording.statements(recording.inside, idempotency_key))
            return keep(Response(recording.answer))
