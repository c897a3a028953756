"""Vehicle import throughput and memory: N rows of a Big5 DMS export, dry run, import, re-import.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vouchers_import \
        .venv/bin/python bench/import_dms.py --rows 100000

Works in a throw-away database (`test_<name>`, created and migrated here, dropped at the end), so the
database named in DATABASE_URL is never touched. The file is written to a temporary file and
streamed from there. Prints the seconds and rows per second of each phase, the peak resident memory
of this process, and checks that every vehicle arrived and that the second import changed nothing.
Not part of the test suite.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def write_file(path: Path, rows: int) -> None:
    from vehicles.identifiers import vin_check_digit

    with path.open("w", encoding="cp950", newline="") as out:
        out.write("車身號碼,車牌,車型,年份,交車日,經銷商\r\n")
        for n in range(rows):
            body = f"WBA5R1C00L{n:07d}"
            vin = body[:8] + vin_check_digit(body) + body[9:]
            plate = f"{LETTERS[n % 24]}{LETTERS[(n // 24) % 24]}{LETTERS[(n // 576) % 24]}-{n // 13824:04d}"
            # ROC and Gregorian dates, as DMS exports mix them
            day = (
                f"114/{n % 12 + 1:02d}/{n % 28 + 1:02d}"
                if n % 2
                else f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d}"
            )
            out.write(f"{vin},{plate},BX,2025,{day},BENCH\r\n")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="where the first import spends its time")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("Set DATABASE_URL=postgres://... (the benchmark measures PostgreSQL).", file=sys.stderr)
        return 2
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        import vehicles.imports.services as import_services
        from members.models import Dealer
        from vehicles.models import ImportBatch, Vehicle, VehicleModel

        Dealer.objects.create(code="BENCH", name="Bench", city="台北市")
        VehicleModel.objects.create(code="BX", name="Bench X")
        import_services.async_task = lambda *a, **k: None  # no worker: each phase is run and timed here
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "vehicles.csv"
            write_file(path, args.rows)
            size_mb = path.stat().st_size / 1e6
            rss_before = rss_mb()

            def phases():
                started = time.perf_counter()
                with path.open("rb") as stream:
                    batch = import_services.import_batch_submit(
                        kind="vehicles", stream=stream, file_name=path.name
                    )
                stored = time.perf_counter()
                batch = import_services.import_batch_check(batch_id=batch.pk)
                checked = time.perf_counter()
                import_services.import_batch_confirm(batch=batch)
                batch = import_services.import_batch_process(batch_id=batch.pk)
                done = time.perf_counter()
                assert batch.status == ImportBatch.Status.DONE, batch.status
                return batch, (stored - started, checked - stored, done - checked, done - started)

            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            first, first_s = phases()
            if profiler is not None:
                import pstats

                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
            assert first.rows_applied == args.rows == Vehicle.objects.count(), (
                first.rows_applied,
                first.rows_rejected,
            )
            second, second_s = phases()
            assert second.rows_unchanged == args.rows and second.rows_applied == 0

        print(
            f"PostgreSQL {connection.pg_version // 10000}, {args.rows:,} vehicle rows "
            f"({size_mb:.1f} MB Big5 CSV)"
        )
        for label, (store, check, apply, total) in (("first import", first_s), ("same file again", second_s)):
            print(f"  {label}:")
            print(f"    read + store rows (request) {store:8.2f} s  {args.rows / store:>10,.0f} rows/s")
            print(f"    dry run (task)              {check:8.2f} s  {args.rows / check:>10,.0f} rows/s")
            print(f"    import (task)               {apply:8.2f} s  {args.rows / apply:>10,.0f} rows/s")
            print(f"    end to end                  {total:8.2f} s  {args.rows / total:>10,.0f} rows/s")
        print(f"  peak RSS {rss_mb():.0f} MB (before the imports {rss_before:.0f} MB)")
        print(f"  checked: {Vehicle.objects.count():,} vehicles; the second import changed 0 rows")
    finally:
        teardown_databases(old_config, verbosity=0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
