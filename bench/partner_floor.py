"""The partner API's own machinery around the baseline's raw SQL: what any partner POST costs before
it does any work of its own.

`PartnerFloorView` is a `PartnerView` exactly as the redeem endpoint is one (API key, scope, the
per-key limit, a required Idempotency-Key, the answer stored in the change's transaction through
`idempotent_in_service`, problem+json, JSON rendering), whose work is the baseline's transaction
(bench/baseline.py: lock a row, update it, insert a row). Served by `bench.baseline_urls` at
`/bench/partner-floor/<row>/`, so a benchmark can print where a partner endpoint stands between the
bare transaction and the real one.
"""

from django.db import connection, transaction
from rest_framework.response import Response

from redemption.api.views.base import PartnerView
from redemption.partner_models import ApiScope

from .baseline import EVENT_TABLE, ROW_TABLE

PATH = "bench/partner-floor/<int:row>/"


def url(row: int) -> str:
    return f"/bench/partner-floor/{row}/"


class PartnerFloorView(PartnerView):
    required_scope = ApiScope.REDEEM
    idempotency_required = True
    schema = None  # not part of the partner API's schema

    def post(self, request, row: int):
        return self.idempotent_in_service(request, lambda key, keep: self._use(row, key, keep))

    def _use(self, row: int, idempotency_key: str, keep):
        lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT uses FROM {ROW_TABLE} WHERE id = %s{lock}", [row])
            found = cursor.fetchone()
            if found is None:
                return Response(status=404)
            cursor.execute(f"UPDATE {ROW_TABLE} SET uses = uses + 1 WHERE id = %s", [row])
            cursor.execute(
                f"INSERT INTO {EVENT_TABLE} (row_id, reference, created_at) VALUES (%s, %s, now())",
                [row, idempotency_key[:64]],
            )
            return keep(Response({"row": row, "uses": found[0] + 1}))
