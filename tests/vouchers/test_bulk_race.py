"""Two workers on one bulk batch at the same moment (a duplicate task, or a retry while the first
still runs) issue every row exactly once and keep the stock exact."""

import threading

import pytest
from django.db import connection

from tests.factories import DefinitionFactory, OwnedVehicleFactory
from vouchers.models import IssueBatch, LedgerEntry, Voucher
from vouchers.services.bulk import issue_batch_confirm, issue_batch_prepare, issue_batch_process


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_issue_a_row_twice():
    definition = DefinitionFactory(stock_total=40)
    cars = [OwnedVehicleFactory() for _ in range(30)]
    batch = issue_batch_prepare(
        definition=definition,
        reason="race",
        source_kind="file",
        source_label="race.csv",
        values=[(n, car.plate) for n, car in enumerate(cars, start=1)],
    )
    issue_batch_confirm(batch=batch)  # outside a transaction the task would run at once: it is not sync here
    barrier = threading.Barrier(3)
    errors = []

    def worker():
        try:
            barrier.wait()
            issue_batch_process(batch_id=batch.pk, chunk_size=4)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    batch.refresh_from_db()
    assert batch.status == IssueBatch.Status.DONE and batch.rows_issued == 30
    assert Voucher.objects.filter(definition=definition).count() == 30
    assert Voucher.objects.values("vehicle_id").distinct().count() == 30
    assert LedgerEntry.objects.filter(kind="issued", voucher__definition=definition).count() == 30
    definition.refresh_from_db()
    assert definition.stock_issued == 30
