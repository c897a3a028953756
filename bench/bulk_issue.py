"""Bulk issuance throughput: a whitelist of N plates, dry run, then issuance, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vouchers_issue5 \
        .venv/bin/python bench/bulk_issue.py --rows 100000

Works in a throw-away database (`test_<name>`, created and migrated here, dropped at the end), so the
database named in DATABASE_URL is never touched. Prints rows per second for each phase and checks
that every row was issued exactly once (vouchers, ISSUED ledger entries and stock all equal N).
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=settings.VOUCHERS_BULK_CHUNK_ROWS)
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
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        batch = issue_batch_process(batch_id=batch.pk, chunk_size=args.chunk)
        issue_s = time.perf_counter() - started
        if profiler is not None:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(12)

        definition.refresh_from_db()
        vouchers = Voucher.objects.filter(definition=definition).count()
        entries = LedgerEntry.objects.filter(voucher__definition=definition, kind="issued").count()
        assert batch.status == IssueBatch.Status.DONE
        assert vouchers == entries == definition.stock_issued == args.rows, (vouchers, entries)

        total = read_s + store_s + dry_s + issue_s
        print(f"PostgreSQL {connection.pg_version // 10000}, {args.rows:,} rows, chunk {args.chunk:,} rows")
        print(f"  fleet set-up (not measured) {fleet_s:8.1f} s")
        print(f"  read CSV (Big5)             {read_s:8.2f} s  {args.rows / read_s:>10,.0f} rows/s")
        print(f"  upload stored (request)     {store_s:8.2f} s  {args.rows / store_s:>10,.0f} rows/s")
        print(f"  dry run (task)              {dry_s:8.2f} s  {args.rows / dry_s:>10,.0f} rows/s")
        print(f"  issue (vouchers + ledger)   {issue_s:8.2f} s  {args.rows / issue_s:>10,.0f} rows/s")
        print(f"  end to end                  {total:8.2f} s  {args.rows / total:>10,.0f} rows/s")
        print(f"  issue / dry run time ratio  {issue_s / dry_s:8.2f}")
        stock = definition.stock_issued
        print(f"  checked: {vouchers:,} vouchers, {entries:,} ISSUED entries, stock_issued {stock:,}")
    finally:
        teardown_databases(old_config, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
