"""Two workers on one bulk batch at the same moment (a duplicate task, or a retry while the first
still runs) issue every row exactly once and keep the stock exact."""

import threading

import pytest
from django.db import connection

from tests.factories import DefinitionFactory, OwnedVehicleFactory, plate_batch
from vouchers.models import IssueBatch, LedgerEntry, Voucher
from vouchers.services import bulk, voucher_issue
from vouchers.services.bulk import (
    issue_batch_check,
    issue_batch_confirm,
    issue_batch_process,
    issue_batch_submit,
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_issue_a_row_twice():
    definition = DefinitionFactory(stock_total=40)
    cars = [OwnedVehicleFactory() for _ in range(30)]
    batch = plate_batch(definition, cars, reason="race")
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dry_run_in_progress_does_not_block_issuing_the_same_definition(monkeypatch):
    """The dry run may take a while on a large file; it locks its batch, never the definition, so
    claims, partner issues and other batches of that definition go on meanwhile."""
    definition = DefinitionFactory()
    cars = [OwnedVehicleFactory() for _ in range(3)]
    batch = issue_batch_submit(
        definition=definition,
        reason="slow dry run",
        source_kind="file",
        source_label="slow.csv",
        values=[(n, car.plate) for n, car in enumerate(cars, start=1)],
    )
    checking, release = threading.Event(), threading.Event()
    resolve = bulk._resolve

    def slow_resolve(*args, **kwargs):
        checking.set()
        release.wait(15)
        return resolve(*args, **kwargs)

    monkeypatch.setattr(bulk, "_resolve", slow_resolve)
    outcomes = []

    def run(work):
        try:
            outcomes.append(work())
        except Exception as exc:  # pragma: no cover - reported below
            outcomes.append(exc)
        finally:
            connection.close()

    dry_run = threading.Thread(target=run, args=(lambda: issue_batch_check(batch_id=batch.pk),))
    dry_run.start()
    assert checking.wait(10)
    issue = threading.Thread(
        target=run,
        args=(lambda: voucher_issue(definition=definition, source=Voucher.Source.MANUAL, vehicle=cars[0]),),
    )
    issue.start()
    issue.join(timeout=5)
    blocked = issue.is_alive()
    release.set()
    dry_run.join(timeout=30)
    issue.join(timeout=30)
    assert not blocked, "issuing waited for the dry run's lock on the definition"
    assert not [o for o in outcomes if isinstance(o, Exception)]
    batch.refresh_from_db()
    assert batch.status == IssueBatch.Status.PREPARED and batch.rows_valid == 3
    assert Voucher.objects.filter(definition=definition).count() == 1
