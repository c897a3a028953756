"""The raw-SQL baseline the hot paths are measured against: one transaction that locks a row
(SELECT … FOR UPDATE), updates it and inserts a row, written by hand.

It is what a redemption is at its core (lock the voucher, count a use, write the redemption), with
none of the checks, so a benchmark can print "this path runs at N× the bare transaction", measured
by the same gunicorn in the same run.

Interface (kept stable; benchmarks of other paths use it):
- `setup_tables(rows=...)`: creates the two tables (if missing) in the default database and makes
  sure rows 1..rows exist. Call it from the benchmark process after migrating; nothing else creates
  them (no migration: they are not part of the product).
- `baseline_view`: `POST` (or `GET`) `/bench/baseline/<row>/` answers 200 JSON `{"row": .., "uses": ..}`
  after the transaction, 404 for a row that does not exist. No session, no CSRF, no log-in.
- `PATH`, `url(row)`: the URL of the view as served by `bench.baseline_urls`.
- `counts()`: (sum of uses, number of event rows), for a benchmark's consistency check.
Serve it with `DJANGO_SETTINGS_MODULE=bench.baseline_settings` (production settings plus
`ROOT_URLCONF = "bench.baseline_urls"`: the project's URLs and this view).
Spread the clients over several rows (e.g. row = client number + 1) unless contention is what you
want to measure: one row serialises every request on its lock.
"""

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

ROW_TABLE = "bench_baseline_row"
EVENT_TABLE = "bench_baseline_event"
PATH = "bench/baseline/<int:row>/"


def url(row: int) -> str:
    return f"/bench/baseline/{row}/"


def setup_tables(*, rows: int = 64) -> None:
    """Create the baseline's tables and rows 1..rows (idempotent)."""
    serial = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {ROW_TABLE} ("
            " id BIGINT PRIMARY KEY, uses INTEGER NOT NULL DEFAULT 0, updated_at TIMESTAMP WITH TIME ZONE)"
        )
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {EVENT_TABLE} ("
            f" id {serial} PRIMARY KEY, row_id BIGINT NOT NULL REFERENCES {ROW_TABLE} (id),"
            " reference VARCHAR(64) NOT NULL, created_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )
        for row in range(1, rows + 1):
            cursor.execute(
                f"INSERT INTO {ROW_TABLE} (id, uses) VALUES (%s, 0) ON CONFLICT (id) DO NOTHING", [row]
            )


def counts() -> tuple[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(SUM(uses), 0) FROM {ROW_TABLE}")
        uses = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM {EVENT_TABLE}")
        events = cursor.fetchone()[0]
    return int(uses), int(events)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def baseline_view(request, row: int):
    # SQLite has no FOR UPDATE; its IMMEDIATE transactions (config/settings.py) lock the file instead.
    lock = " FOR UPDATE" if connection.vendor == "postgresql" else ""
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT uses FROM {ROW_TABLE} WHERE id = %s{lock}", [row])
        found = cursor.fetchone()
        if found is None:
            return HttpResponse(status=404)
        cursor.execute(f"UPDATE {ROW_TABLE} SET uses = uses + 1, updated_at = %s WHERE id = %s", [now, row])
        cursor.execute(
            f"INSERT INTO {EVENT_TABLE} (row_id, reference, created_at) VALUES (%s, %s, %s)",
            [row, request.headers.get("Idempotency-Key", "")[:64], now],
        )
    return JsonResponse({"row": row, "uses": found[0] + 1})
