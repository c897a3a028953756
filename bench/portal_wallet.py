"""Owner portal wallet page: queries and render time for 1 to 300 vouchers on one car.

Run: .venv/bin/python bench/portal_wallet.py   (uses a throw-away test database; DATABASE_URL picks
the engine). Prints, per voucher count, the queries the page issues, the median wall-clock time of
a GET through Django's test client and the median CPU time of this process for it (the Python side:
less sensitive to other work on the machine than wall-clock time, but without the database server's
time), and the ratios to the 1-voucher page.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

COUNTS = (1, 10, 100, 300)
RUNS = 15


def main() -> None:
    # No setup_test_environment(): its instrumented template rendering would inflate the timings.
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0)
    try:
        rows = measure()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    base_queries, base_ms = rows[0][1], rows[0][2]
    print(f"{connection.vendor}, {RUNS} GETs per size")
    print(f"{'vouchers':>8} {'queries':>8} {'median ms':>10} {'cpu ms':>7} {'queries x':>10} {'time x':>7}")
    for count, queries, ms, cpu in rows:
        print(
            f"{count:>8} {queries:>8} {ms:>10.1f} {cpu:>7.1f} "
            f"{queries / base_queries:>10.2f} {ms / base_ms:>7.2f}"
        )


def measure() -> list[tuple[int, int, float, float]]:
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from portal.auth import LAST_SEEN_KEY, MEMBER_KEY, SIGNED_IN_KEY
    from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory
    from vouchers.models import Voucher
    from vouchers.services import voucher_issue

    owner = MemberFactory()
    car = OwnedVehicleFactory(owner=owner)
    definitions = [DefinitionFactory(uses_per_voucher=k + 1) for k in range(3)]
    client = Client()
    session = client.session
    session.update({MEMBER_KEY: owner.pk, SIGNED_IN_KEY: int(time.time()), LAST_SEEN_KEY: int(time.time())})
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
    url = reverse("portal:vehicle", args=[car.pk])
    rows, issued = [], 0
    for count in COUNTS:
        while issued < count:
            batch = min(100, count - issued)
            voucher_issue(
                definition=definitions[issued % 3], source=Voucher.Source.MANUAL, vehicle=car, quantity=batch
            )
            issued += batch
        executed: list[str] = []

        def record(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            assert client.get(url).status_code == 200
        timings, cpu = [], []
        for _ in range(RUNS):
            start, start_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        rows.append((count, len(executed), statistics.median(timings), statistics.median(cpu)))
    return rows


if __name__ == "__main__":
    main()
