"""Bulk chunks written before their locks (PostgreSQL): the batch and the definition are locked just
before COMMIT, and whatever the chunk assumed is checked again under them; a chunk that finds them
changed is rolled back and decided again with the locks taken first. Workers side by side take
disjoint chunks, and only the last one to commit finishes the batch."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction

from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher, plate_batch
from vouchers import tasks
from vouchers.models import IssueBatch, IssueBatchRow, LedgerEntry, Voucher, VoucherDefinition
from vouchers.services import bulk
from vouchers.services.bulk import issue_batch_confirm, issue_batch_process

pytestmark = pytest.mark.django_db


def confirmed_batch(definition, cars) -> IssueBatch:
    return issue_batch_confirm(batch=plate_batch(definition, cars))


def in_another_connection(work) -> None:
    """`work()` committed by another connection (a thread), as another request or worker would."""
    failures = []

    def run():
        try:
            work()
        except Exception as exc:  # reported below
            failures.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive() and not failures, failures


def between_writes_and_locks(monkeypatch, work) -> list[str]:
    """Run `work` in another connection once, after the first chunk written before its locks and
    before it takes them. Returns the paths chunks took ('last': written first, 'first': locked first)."""
    paths, real = [], bulk._issue_rows

    def issue_rows(*args, counters_locked=True, **kwargs):
        paths.append("first" if counters_locked else "last")
        result = real(*args, counters_locked=counters_locked, **kwargs)
        if not counters_locked and paths.count("last") == 1:
            in_another_connection(work)
        return result

    monkeypatch.setattr(bulk, "_issue_rows", issue_rows)
    return paths


@pytest.mark.postgres
def test_a_chunk_whose_rows_need_no_decision_locks_last_and_counts_exactly(monkeypatch):
    definition = DefinitionFactory(stock_total=10)
    batch = confirmed_batch(definition, [OwnedVehicleFactory() for _ in range(5)])
    paths = between_writes_and_locks(monkeypatch, lambda: None)
    batch = issue_batch_process(batch_id=batch.pk, chunk_size=2)
    assert paths == ["last", "last", "last"]
    counters = ("status", "rows_done", "rows_issued", "rows_rejected", "vouchers_issued")
    assert [getattr(batch, f) for f in counters] == [IssueBatch.Status.DONE, 5, 5, 0, 5]
    batch.refresh_from_db()
    assert [getattr(batch, f) for f in counters] == [IssueBatch.Status.DONE, 5, 5, 0, 5]
    definition.refresh_from_db()
    assert definition.stock_issued == 5
    assert LedgerEntry.objects.filter(kind="issued", voucher__definition=definition).count() == 5


@pytest.mark.postgres
def test_stock_too_short_for_the_rows_locks_first_and_rejects_the_later_rows(monkeypatch):
    definition = DefinitionFactory(stock_total=10)
    batch = confirmed_batch(definition, [OwnedVehicleFactory() for _ in range(5)])
    VoucherDefinition.objects.filter(pk=definition.pk).update(stock_total=3)  # after the dry run
    paths = between_writes_and_locks(monkeypatch, lambda: None)
    batch = issue_batch_process(batch_id=batch.pk, chunk_size=2)
    assert paths == ["last", "first", "first"]  # 2 of 3 fit; then 1 left for 2 rows; then 0 for 1
    rows = {row.row_number: row.status for row in batch.rows.all()}
    assert rows == {1: "issued", 2: "issued", 3: "issued", 4: "rejected", 5: "rejected"}
    definition.refresh_from_db()
    assert definition.stock_issued == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_definition_changed_before_the_locks_redoes_the_chunk_under_them(monkeypatch):
    definition = DefinitionFactory(validity_days=30)
    batch = confirmed_batch(definition, [OwnedVehicleFactory() for _ in range(3)])
    paths = between_writes_and_locks(
        monkeypatch, lambda: VoucherDefinition.objects.filter(pk=definition.pk).update(validity_days=90)
    )
    batch = issue_batch_process(batch_id=batch.pk, chunk_size=10)
    assert paths == ["last", "first"]
    assert batch.status == IssueBatch.Status.DONE and batch.rows_issued == 3
    vouchers = list(Voucher.objects.filter(definition=definition))
    assert len(vouchers) == 3  # the first writing was rolled back: no voucher twice
    # Issued under the definition as it was when the chunk committed: 90 days, not 30.
    assert all(v.valid_until - v.issued_at > timedelta(days=60) for v in vouchers)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_definition_paused_before_the_locks_stops_the_batch_with_nothing_issued(monkeypatch):
    definition = DefinitionFactory()
    batch = confirmed_batch(definition, [OwnedVehicleFactory() for _ in range(3)])
    between_writes_and_locks(
        monkeypatch,
        lambda: VoucherDefinition.objects.filter(pk=definition.pk).update(
            status=VoucherDefinition.Status.PAUSED
        ),
    )
    batch = issue_batch_process(batch_id=batch.pk, chunk_size=10)
    assert batch.status == IssueBatch.Status.STOPPED and batch.rows_issued == 0
    assert not Voucher.objects.filter(definition=definition).exists()
    assert set(batch.rows.values_list("status", flat=True)) == {IssueBatchRow.Status.PENDING}
    definition.refresh_from_db()
    assert definition.stock_issued == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stock_taken_before_the_locks_redoes_the_chunk_and_never_oversells(monkeypatch):
    definition = DefinitionFactory(stock_total=5)
    batch = confirmed_batch(definition, [OwnedVehicleFactory() for _ in range(4)])
    # Someone else takes 2 units while the chunk of 4 is written: 3 are left for 4 rows.
    paths = between_writes_and_locks(
        monkeypatch,
        lambda: [issue_voucher(definition, vehicle=OwnedVehicleFactory()) for _ in range(2)],
    )
    batch = issue_batch_process(batch_id=batch.pk, chunk_size=4)
    assert paths == ["last", "first"]
    assert (batch.rows_issued, batch.rows_rejected) == (3, 1)
    rows = {row.row_number: row.status for row in batch.rows.all()}
    assert rows == {1: "issued", 2: "issued", 3: "issued", 4: "rejected"}
    definition.refresh_from_db()
    assert definition.stock_issued == 5
    assert Voucher.objects.filter(definition=definition).count() == 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rows_held_by_another_workers_chunk_are_left_to_it_and_the_batch_to_finish(monkeypatch):
    successors = []
    monkeypatch.setattr(tasks, "issue_batch_enqueue", successors.append)
    definition = DefinitionFactory()
    batch = confirmed_batch(definition, [OwnedVehicleFactory() for _ in range(3)])
    holding, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                list(IssueBatchRow.objects.filter(batch=batch).select_for_update())
                holding.set()
                release.wait(20)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert holding.wait(10)
        held = tasks.issue_batch_run(batch.pk)
        # Nothing to take, and not done: the rows are still pending in the other worker's hands,
        # and that worker finishes the batch: no successor task is queued.
        assert held["status"] != IssueBatch.Status.DONE and successors == []
        assert not Voucher.objects.filter(definition=definition).exists()
    finally:
        release.set()
        thread.join(timeout=30)
    batch = issue_batch_process(batch_id=batch.pk, chunk_size=10)  # that worker let go of them
    assert batch.status == IssueBatch.Status.DONE and batch.rows_issued == 3


@pytest.mark.postgres
def test_foreign_keys_are_deferred_again_after_a_chunk():
    definition = DefinitionFactory()
    batch = confirmed_batch(definition, [OwnedVehicleFactory()])
    issue_batch_process(batch_id=batch.pk)
    with transaction.atomic():
        # A row that points nowhere until the end of the transaction passes a deferred check only.
        orphan = IssueBatchRow.objects.create(batch_id=-1, row_number=1, raw="x")
        orphan.delete()


def test_a_confirmed_batch_is_queued_to_each_worker(
    monkeypatch, settings, django_capture_on_commit_callbacks
):
    settings.VOUCHERS_BULK_WORKERS = 3
    queued = []

    def async_task(*args, **kwargs):
        queued.append((args, kwargs["task_name"]))

    monkeypatch.setattr(bulk, "async_task", async_task)
    batch = plate_batch(DefinitionFactory(), [OwnedVehicleFactory()])
    with django_capture_on_commit_callbacks(execute=True):
        issue_batch_confirm(batch=batch)
    assert [args for args, _name in queued] == [("vouchers.tasks.issue_batch_run", batch.pk)] * 3
    assert len({name for _args, name in queued}) == 3


def test_a_task_whose_time_ran_out_queues_one_successor(monkeypatch, settings):
    settings.VOUCHERS_BULK_TASK_SECONDS = 0  # out of time after its first chunk
    settings.VOUCHERS_BULK_CHUNK_ROWS = 1
    successors = []
    monkeypatch.setattr(tasks, "issue_batch_enqueue", successors.append)
    batch = confirmed_batch(DefinitionFactory(), [OwnedVehicleFactory() for _ in range(2)])
    result = tasks.issue_batch_run(batch.pk)
    assert (result["status"], result["rows_done"]) == (IssueBatch.Status.RUNNING, 1)
    assert successors == [batch.pk]
    result = tasks.issue_batch_run(batch.pk)  # the successor: the last row, then none is left
    assert result["rows_done"] == 2
