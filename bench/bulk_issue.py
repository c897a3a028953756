"""Bulk issuance throughput: a whitelist of N plates, dry run, then issuance, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vouchers_issue5 \
        .venv/bin/python bench/bulk_issue.py --rows 100000

Works in a throw-away database (`test_<name>`, created and migrated here, dropped at the end), so the
database named in DATABASE_URL is never touched. Prints rows per second for each phase and checks
that every row was issued exactly once (vouchers, ISSUED ledger entries and stock all equal N).
In the same run it times a hand-written baseline (the same vouchers and ledger rows, one plain
INSERT ... SELECT per chunk, nothing checked) and prints the ratio, which the machine's load
changes far less than the absolute figures.
Not part of the test suite.
"""

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402


def make_fleet(rows: int):
    from members.models import Dealer
    from vehicles.identifiers import vin_check_digit
    from vehicles.models import Vehicle, VehicleModel
    from vouchers.models import VoucherDefinition

    dealer = Dealer.objects.create(code="BENCH", name="Bench", city="台北市")
    model = VehicleModel.objects.create(code="BX", name="Bench X")
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    vehicles = []
    for n in range(rows):
        body = f"WBA5R1C00LF{n:06d}"
        vin = body[:8] + vin_check_digit(body) + body[9:]
        plate = f"{letters[n % 24]}{letters[(n // 24) % 24]}{letters[(n // 576) % 24]}-{n // 13824:04d}"
        vehicles.append(
            Vehicle(
                vin=vin, plate=plate, plate_key=plate.replace("-", ""), model=model, selling_dealer=dealer
            )
        )
    Vehicle.objects.bulk_create(vehicles, batch_size=5000)
    definition = VoucherDefinition.objects.create(
        name="Bench wash",
        code="bench-wash",
        category=VoucherDefinition.Category.WASH,
        validity_policy=VoucherDefinition.ValidityPolicy.DAYS_FROM_ISSUE,
        validity_days=90,
        status=VoucherDefinition.Status.PUBLISHED,
        stock_total=rows,
    )
    # Operators' files spell plates every way: lower case, spaces, full-width dashes.
    spellings = [
        lambda p: p,
        lambda p: p.lower(),
        lambda p: p.replace("-", " "),
        lambda p: p.replace("-", "－"),
    ]
    lines = ["車牌"] + [spellings[i % 4](v.plate) for i, v in enumerate(vehicles)]
    return definition, ("\r\n".join(lines) + "\r\n").encode("big5")


# The floor the issue phase is compared with: the same vouchers and ISSUED entries (codes from
# md5, no checks, no batch rows) by one hand-written statement per chunk, each chunk committed.
HAND_WRITTEN_CHUNK = """
WITH v AS (
    INSERT INTO vouchers_voucher (code, definition_id, vehicle_id, status, amount_paid_twd, uses_total,
        uses_left, valid_from, valid_until, series_index, source, external_ref, issued_at, activated_at,
        status_changed_at)
    SELECT upper(substr(md5(random()::text || id::text), 1, 16)), %(definition)s, id, 'active', 0, 1, 1,
        %(now)s, %(until)s, 0, 'bulk', 'raw:' || id, %(now)s, %(now)s, %(now)s
    FROM vehicles_vehicle WHERE id > %(after)s ORDER BY id LIMIT %(chunk)s
    RETURNING id, vehicle_id
)
INSERT INTO vouchers_ledgerentry (voucher_id, kind, delta, status_before, status_after, uses_left_after,
    actor_label, reason, data, created_at)
SELECT id, 'issued', 1, '', 'active', 1, 'bench', 'bench', jsonb_build_object('row', vehicle_id), %(now)s
FROM v
RETURNING (SELECT max(vehicle_id) FROM v)
"""


def hand_written(definition, chunk: int) -> float:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from vouchers.models import VoucherDefinition

    raw = VoucherDefinition.objects.create(
        name="Raw", code="bench-raw", category=definition.category, status=definition.status
    )
    now = timezone.now()
    started = time.perf_counter()
    after = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            params = {"definition": raw.pk, "now": now, "until": now + timedelta(days=90)}
            cursor.execute(HAND_WRITTEN_CHUNK, {**params, "after": after, "chunk": chunk})
            rows = cursor.fetchall()
        if not rows:
            return time.perf_counter() - started
        after = rows[0][0]


def issue_side_by_side(batch_id: int, chunk: int, workers: int):
    """`issue_batch_process` on `workers` threads (each with its own connection), as the workers a
    confirmed batch is queued to; the first runs in this thread. Returns the batch as it ends."""
    import threading

    from django.db import connections

    from vouchers.models import IssueBatch
    from vouchers.services.bulk import issue_batch_process

    failures = []

    def work():
        try:
            issue_batch_process(batch_id=batch_id, chunk_size=chunk)
        except Exception as exc:  # reported below: the run fails
            failures.append(exc)
        finally:
            connections.close_all()

    others = [threading.Thread(target=work) for _ in range(workers - 1)]
    for thread in others:
        thread.start()
    issue_batch_process(batch_id=batch_id, chunk_size=chunk)
    for thread in others:
        thread.join()
    if failures:
        raise failures[0]
    return IssueBatch.objects.get(pk=batch_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=settings.VOUCHERS_BULK_CHUNK_ROWS)
    parser.add_argument(
        "--workers",
        type=int,
        default=settings.VOUCHERS_BULK_WORKERS,
        help="workers issuing the batch side by side, as the tasks a confirmed batch is queued to"
        f" (default VOUCHERS_BULK_WORKERS, {settings.VOUCHERS_BULK_WORKERS}); --profile and the SQL"
        " times see the first one",
    )
    parser.add_argument("--explain", action="store_true", help="print the plans of one chunk (auto_explain)")
    parser.add_argument("--profile", action="store_true", help="print where the issue phase spends its time")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("Set DATABASE_URL=postgres://... (the benchmark measures PostgreSQL).", file=sys.stderr)
        return 2
    settings.VOUCHERS_BULK_MAX_ROWS = max(settings.VOUCHERS_BULK_MAX_ROWS, args.rows)
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        from vouchers.bulk_csv import whitelist_decode, whitelist_values
        from vouchers.models import IssueBatch, LedgerEntry, Voucher
        from vouchers.services.bulk import (
            issue_batch_check,
            issue_batch_confirm,
            issue_batch_process,
            issue_batch_submit,
        )

        started = time.perf_counter()
        definition, data = make_fleet(args.rows)
        fleet_s = time.perf_counter() - started

        started = time.perf_counter()
        values = whitelist_values(whitelist_decode(data), max_rows=args.rows)
        read_s = time.perf_counter() - started

        # No worker here: the tasks the services queue are run by hand, so each phase is timed alone.
        import vouchers.services.bulk as bulk

        bulk.async_task = lambda *a, **k: None
        started = time.perf_counter()
        batch = issue_batch_submit(
            definition=definition, reason="bench", source_kind="file", source_label="bench.csv", values=values
        )
        store_s = time.perf_counter() - started
        started = time.perf_counter()
        batch = issue_batch_check(batch_id=batch.pk)
        dry_s = time.perf_counter() - started
        assert batch.rows_valid == args.rows, (batch.rows_valid, batch.rows_rejected)
        issue_batch_confirm(batch=batch)
        profiler = None
        statements: dict[str, list[float]] = {}

        def timed(execute, sql, params, many, context):
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                spent = statements.setdefault(" ".join(str(sql).split())[:70], [0, 0.0])
                spent[0] += 1
                spent[1] += time.perf_counter() - began

        if args.explain:
            # auto_explain's plans (with trigger times: the foreign key checks) of one chunk's statements
            with connection.cursor() as cursor:
                cursor.execute("LOAD 'auto_explain'")
                for setting in ("log_min_duration = 0", "log_analyze = on", "log_triggers = on"):
                    cursor.execute(f"SET auto_explain.{setting}")
                cursor.execute("SET client_min_messages = log")
            connection.connection.add_notice_handler(lambda d: print(d.message_primary))
            issue_batch_process(batch_id=batch.pk, chunk_size=args.chunk, time_budget=0)
            with connection.cursor() as cursor:
                cursor.execute("SET client_min_messages = notice")
                cursor.execute("SET auto_explain.log_min_duration = -1")
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        with connection.execute_wrapper(timed):
            batch = issue_side_by_side(batch.pk, args.chunk, args.workers)
        issue_s = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)
            print("SQL of the issue phase (count, seconds):")
            for sql, (count, spent) in sorted(statements.items(), key=lambda kv: -kv[1][1])[:12]:
                print(f"  {count:6d} {spent:7.2f} s  {sql}")

        definition.refresh_from_db()
        vouchers = Voucher.objects.filter(definition=definition).count()
        entries = LedgerEntry.objects.filter(voucher__definition=definition, kind="issued").count()
        assert batch.status == IssueBatch.Status.DONE
        assert vouchers == entries == definition.stock_issued == args.rows, (vouchers, entries)
        counters = (batch.rows_done, batch.rows_issued, batch.vouchers_issued, batch.rows_rejected)
        assert counters == (args.rows, args.rows, args.rows, 0), counters
        held = Voucher.objects.filter(definition=definition).values("vehicle_id").distinct().count()
        assert held == args.rows, held

        raw_s = hand_written(definition, args.chunk)
        total = read_s + store_s + dry_s + issue_s
        print(
            f"PostgreSQL {connection.pg_version // 10000}, {args.rows:,} rows, chunk {args.chunk:,} rows,"
            f" {args.workers} worker{'s' if args.workers > 1 else ''}"
        )
        print(f"  fleet set-up (not measured) {fleet_s:8.1f} s")
        print(f"  read CSV (Big5)             {read_s:8.2f} s  {args.rows / read_s:>10,.0f} rows/s")
        print(f"  upload stored (request)     {store_s:8.2f} s  {args.rows / store_s:>10,.0f} rows/s")
        print(f"  dry run (task)              {dry_s:8.2f} s  {args.rows / dry_s:>10,.0f} rows/s")
        print(f"  issue (vouchers + ledger)   {issue_s:8.2f} s  {args.rows / issue_s:>10,.0f} rows/s")
        print(f"  end to end                  {total:8.2f} s  {args.rows / total:>10,.0f} rows/s")
        print(f"  hand-written SQL, same rows {raw_s:8.2f} s  {args.rows / raw_s:>10,.0f} rows/s")
        print(f"  issue / dry run time ratio  {issue_s / dry_s:8.2f}")
        print(f"  issue / hand-written ratio  {issue_s / raw_s:8.2f}")
        stock = definition.stock_issued
        print(
            f"  checked: {vouchers:,} vouchers (one per vehicle), {entries:,} ISSUED entries,"
            f" stock_issued {stock:,}, the batch's counters"
        )
    finally:
        teardown_databases(old_config, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
