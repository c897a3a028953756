"""Import batches: upload → dry run → confirm → chunked, resumable applying (the bulk-issue pattern).

`import_batch_submit` streams the file's rows into ImportRow (COPY on PostgreSQL) and runs the dry
run, by a task or at once. `import_batch_check` decides each unchecked row (pending or rejected with
its reason) and `import_batch_process` applies pending rows a row-number range at a time; each range
is one transaction that also records each row's outcome, so a worker that dies mid-way loses nothing
and a task run twice finds no pending row twice. Importing the same file again changes nothing:
every row is an upsert, and a row the dry run finds already up to date is recorded as such and
not applied again.
"""

import time
from collections.abc import Iterator
from datetime import datetime
from itertools import islice
from typing import BinaryIO

from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django_q.tasks import async_task

from config.bulk_insert import rows_insert
from members.models import Dealer

from ..exceptions import UnknownDealer
from ..models import ImportBatch, ImportRow
from .files import file_rows
from .rows import DECIDE, Context, Decision

Status = ImportBatch.Status
RowStatus = ImportRow.Status
CHUNK_ROWS = 2000
TASK_SECONDS = 120
ROW_FIELDS = ("batch", "row_number", "data", "status", "reason", "detail")


def import_batch_submit(
    *,
    kind: str,
    stream: BinaryIO,
    file_name: str,
    dealer_code: str = "",
    mapping: dict[str, str] | None = None,
    create_models: bool = False,
    actor=None,
    check_now: bool = False,
    now: datetime | None = None,
) -> ImportBatch:
    """Store the file's rows unchecked and run the dry run (a task after commit, or here when
    `check_now`). Raises ImportFileError / MissingColumns for the whole file, UnknownDealer."""
    now = now or timezone.now()
    if kind not in ImportBatch.Kind.values:
        raise ValueError(kind)
    dealer = None
    if dealer_code:
        dealer = Dealer.objects.filter(code=dealer_code.strip().upper()).first()
        if dealer is None:
            raise UnknownDealer(dealer=dealer_code[:20])
    rows = file_rows(stream, kind=kind, mapping=mapping)  # whole-file errors raise here
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=kind,
            file_name=file_name[:200],
            dealer=dealer,
            create_models=create_models,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now,
        )
        total = 0
        for chunk in _batched(rows, CHUNK_ROWS):
            total += rows_insert(
                ImportRow, ROW_FIELDS, ((batch.pk, n, data, RowStatus.UNCHECKED, "", "") for n, data in chunk)
            )
        batch.rows_total = total
        batch.save(update_fields=["rows_total"])
        if not check_now:
            import_batch_enqueue("vehicles.tasks.import_batch_check_run", batch.pk)
    return import_batch_check(batch_id=batch.pk) if check_now else batch


def _batched(iterable, size: int) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_batch_enqueue(task: str, batch_id: int) -> None:
    """Run `task` for the batch after the current transaction commits."""
    transaction.on_commit(
        lambda: async_task(task, batch_id, task_name=f"import-{batch_id}-{time.monotonic_ns()}")
    )


def _range(batch: ImportBatch, start: int, status: str) -> list[tuple[int, dict]]:
    """The rows of `status` in the next row-number range from `start` (a range, never a list of ids)."""
    return list(
        ImportRow.objects.filter(
            batch=batch, status=status, row_number__gte=start, row_number__lt=start + CHUNK_ROWS
        )
        .order_by("row_number")
        .values_list("row_number", "data")
    )


def _next_start(batch: ImportBatch, start: int, status: str) -> int | None:
    """The first row number of `status` at or after `start`, or None when none is left."""
    return (
        ImportRow.objects.filter(batch=batch, status=status, row_number__gte=start)
        .order_by("row_number")
        .values_list("row_number", flat=True)
        .first()
    )


def _record(batch: ImportBatch, start: int, status: str, rows, decisions: list[Decision]) -> None:
    """Replace the range's rows by their decided versions: one DELETE and one COPY, not 2,000 UPDATEs."""
    data = dict(rows)
    ImportRow.objects.filter(
        batch=batch, status=status, row_number__gte=start, row_number__lt=start + CHUNK_ROWS
    ).delete()
    rows_insert(
        ImportRow,
        ROW_FIELDS,
        ((batch.pk, d.row_number, data[d.row_number], d.status, d.reason, d.detail) for d in decisions),
    )


def import_batch_check(
    *, batch_id: int, time_budget: float | None = None, now: datetime | None = None
) -> ImportBatch:
    """The dry run: every row is to import or rejected with its reason; nothing is written."""
    started = time.monotonic()
    while True:
        now_chunk = now or timezone.now()
        with transaction.atomic():
            batch = (
                ImportBatch.objects.select_for_update(of=("self",))
                .select_related("created_by", "dealer")
                .get(pk=batch_id)
            )
            if batch.status != Status.CHECKING:
                return batch
            start = _next_start(batch, 0, RowStatus.UNCHECKED)
            if start is None:
                counts = _counts(batch)
                batch.rows_valid = counts.get(RowStatus.PENDING, 0)
                batch.rows_unchanged = counts.get(RowStatus.UNCHANGED, 0)
                batch.rows_rejected = counts.get(RowStatus.REJECTED, 0)
                batch.status = Status.PREPARED
                batch.save(update_fields=["rows_valid", "rows_unchanged", "rows_rejected", "status"])
                return batch
            rows = _range(batch, start, RowStatus.UNCHECKED)
            decisions = DECIDE[batch.kind](rows, Context(batch=batch, now=now_chunk), apply=False)
            _record(batch, start, RowStatus.UNCHECKED, rows, decisions)
        if time_budget is not None and time.monotonic() - started >= time_budget:
            import_batch_enqueue("vehicles.tasks.import_batch_check_run", batch_id)
            return batch


def _counts(batch: ImportBatch) -> dict[str, int]:
    return dict(
        ImportRow.objects.filter(batch=batch).order_by().values_list("status").annotate(n=Count("pk"))
    )


def import_batch_confirm(*, batch: ImportBatch, now: datetime | None = None) -> ImportBatch:
    """Queue a checked batch. Confirming again changes nothing and queues nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != Status.PREPARED:
            return locked
        locked.status = Status.QUEUED
        locked.confirmed_at = now
        locked.rows_done = locked.rows_rejected + locked.rows_unchanged
        locked.save(update_fields=["status", "confirmed_at", "rows_done"])
        import_batch_enqueue("vehicles.tasks.import_batch_run", locked.pk)
    return locked


def import_batch_cancel(*, batch: ImportBatch) -> ImportBatch:
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status in (Status.CHECKING, Status.PREPARED):
            locked.status = Status.CANCELLED
            locked.save(update_fields=["status"])
    return locked


def import_batch_resume(*, batch: ImportBatch) -> ImportBatch:
    """Queue the remaining work again (after a worker was lost with its task)."""
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == Status.CHECKING:
            import_batch_enqueue("vehicles.tasks.import_batch_check_run", locked.pk)
        elif locked.status in (Status.QUEUED, Status.RUNNING):
            import_batch_enqueue("vehicles.tasks.import_batch_run", locked.pk)
    return locked


def import_batch_process(
    *, batch_id: int, time_budget: float | None = None, now: datetime | None = None
) -> ImportBatch:
    """Apply pending rows one row-number range per transaction until none is left or time is up;
    the batch stays RUNNING when time ran out (the task queues a successor)."""
    started = time.monotonic()
    while True:
        batch, more = _process_chunk(batch_id, now)
        if not more:
            return batch
        if time_budget is not None and time.monotonic() - started >= time_budget:
            return batch


def _process_chunk(batch_id: int, now: datetime | None) -> tuple[ImportBatch, bool]:
    now = now or timezone.now()
    with transaction.atomic():
        batch = (
            ImportBatch.objects.select_for_update(of=("self",))
            .select_related("created_by", "dealer")
            .get(pk=batch_id)
        )
        if batch.status not in (Status.QUEUED, Status.RUNNING):
            return batch, False
        batch.status = Status.RUNNING
        start = _next_start(batch, batch.cursor, RowStatus.PENDING)
        if start is None:
            batch.status = Status.DONE
            batch.finished_at = now
            batch.save(update_fields=["status", "finished_at"])
            return batch, False
        rows = _range(batch, start, RowStatus.PENDING)
        decisions = DECIDE[batch.kind](rows, Context(batch=batch, now=now), apply=True)
        _record(batch, start, RowStatus.PENDING, rows, decisions)
        outcome = {s: sum(1 for d in decisions if d.status == s) for s in RowStatus.values}
        ImportBatch.objects.filter(pk=batch.pk).update(
            status=Status.RUNNING,
            cursor=start + CHUNK_ROWS,
            rows_done=F("rows_done") + len(decisions),
            rows_applied=F("rows_applied") + outcome[RowStatus.APPLIED],
            rows_unchanged=F("rows_unchanged") + outcome[RowStatus.UNCHANGED],
            rows_rejected=F("rows_rejected") + outcome[RowStatus.REJECTED],
        )
    batch.refresh_from_db()
    return batch, True


def import_batch_run_now(*, batch_id: int) -> ImportBatch:
    """Confirm and apply at once, in this process (the management command and the benchmark)."""
    batch = import_batch_confirm(batch=ImportBatch.objects.get(pk=batch_id))
    return import_batch_process(batch_id=batch.pk)
