"""Bulk issuance: a dry run that checks every row, then chunked, idempotent issuance by a task.

`issue_batch_prepare` resolves each row of a whitelist (plates, VINs, mobile numbers) or of an
audience (vehicle or member ids) to the holder it names and records why any row cannot be issued.
`issue_batch_confirm` queues the batch once, to VOUCHERS_BULK_WORKERS tasks. `issue_batch_process`
issues the pending rows in chunks, each chunk one transaction that locks its rows (skipping rows
another worker holds), creates the vouchers and their ISSUED ledger entries with bulk inserts, marks
its rows issued and adds to the stock and the batch's counters under the batch's and definition's
locks. A row leaves `pending` only in the transaction that issues (or rejects) it, so a batch
confirmed twice, workers side by side, or a worker killed mid-way and the task run again, never
issue a row twice.

On PostgreSQL a chunk whose rows need no decision of their own (no holder rule, no per-holder
limit, stock for all of them) is written first and locks the batch and the definition last, just
before it commits: the locks are then held for the few statements that add to the counters, not for
the chunk's inserts, so two workers issue side by side. Under the locks it checks again what it
assumed (the batch still running, the definition unchanged, the stock still there); anything else
rolls the chunk back and decides it again with the locks taken first, as every chunk does on SQLite.
"""

import contextlib
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_q.tasks import async_task

from config.bulk_insert import rows_insert
from config.errors import DomainError
from config.stored_text import fit_to_column
from members.actors import Actor, ActorKind
from members.models import Member
from members.phones import phone_normalise
from vehicles.identifiers import plate_key, vin_parse
from vehicles.models import Ownership, Vehicle
from vehicles.selectors import OwnershipFacts, ownership_facts

from .. import signals
from ..codes import codes_generate
from ..exceptions import HolderMissing
from ..holder_rules import holder_refusal, needs_ownership_facts
from ..locks import definition_for_update, issue_batch_for_update, issue_batch_pending_for_update
from ..models import IssueBatch, IssueBatchRow, LedgerEntry, Voucher, VoucherDefinition
from ._ledger import ledger_actor_columns, require_reason
from ._sql import array_type, insert_columns, update_columns
from .issuance import _require_issuable, voucher_terms

Definition = VoucherDefinition
Holder = Definition.HolderType
Row = IssueBatchRow
Reason = IssueBatchRow.Reason
BatchStatus = IssueBatch.Status
LOOKUP_CHUNK = 2000

IDENTIFIER_KINDS = ("auto", "plate", "vin", "phone")


@dataclass
class _Planned:
    row_number: int
    raw: str
    vehicle_id: int | None = None
    member_id: int | None = None
    reason: str = ""
    detail: str = ""


def _classify(raw: str, kind: str) -> tuple[str, str] | None:
    """("vin" | "plate" | "phone", normalised value), or None when malformed."""
    attempts = {"auto": ("vin", "phone", "plate"), "plate": ("plate",), "vin": ("vin",), "phone": ("phone",)}
    for attempt in attempts[kind]:
        with contextlib.suppress(DomainError):
            if attempt == "vin":
                return "vin", vin_parse(raw).vin
            if attempt == "phone":
                digits = sum(c.isdigit() for c in raw)
                if kind == "phone" or (digits >= 9 and not any(c.isalpha() for c in raw)):
                    return "phone", phone_normalise(raw)
            if attempt == "plate":
                return "plate", plate_key(raw)
    return None


def _chunks(values: Sequence, size: int = LOOKUP_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _lookup(model, field: str, values: set[str], columns: tuple[str, ...]) -> dict:
    found = {}
    ordered = sorted(values)
    for chunk in _chunks(ordered):
        for row in model.objects.filter(**{f"{field}__in": chunk}).values_list(field, *columns):
            found[row[0]] = row[1:]
    return found


def _current_owners(vehicle_ids: set[int]) -> dict[int, int]:
    owners = {}
    for chunk in _chunks(sorted(vehicle_ids)):
        owners.update(
            Ownership.objects.current().filter(vehicle_id__in=chunk).values_list("vehicle_id", "member_id")
        )
    return owners


def _owned_vehicles(member_ids: set[int]) -> dict[int, list[int]]:
    owned: dict[int, list[int]] = defaultdict(list)
    for chunk in _chunks(sorted(member_ids)):
        for member_id, vehicle_id in (
            Ownership.objects.current().filter(member_id__in=chunk).values_list("member_id", "vehicle_id")
        ):
            owned[member_id].append(vehicle_id)
    return owned


def _held_counts(definition: Definition, holders: list[tuple[int | None, int | None]]) -> Counter:
    """Vouchers of `definition` each (vehicle id, member id) holder already has, when there is a limit."""
    counts: Counter = Counter()
    if definition.per_holder_limit is None or not holders:
        return counts
    existing = Voucher.objects.filter(definition=definition).order_by()
    if definition.holder_type == Holder.MEMBER:
        for chunk in _chunks(sorted({m for _v, m in holders if m is not None})):
            for member_id, n in (
                existing.filter(member_id__in=chunk).values_list("member_id").annotate(n=Count("pk"))
            ):
                counts[(None, member_id)] += n
        return counts
    for chunk in _chunks(sorted({v for v, _m in holders if v is not None})):
        rows = (
            existing.filter(vehicle_id__in=chunk)
            .values_list("vehicle_id", "member_id")
            .annotate(n=Count("pk"))
        )
        for vehicle_id, member_id, n in rows:
            key = (vehicle_id, None) if definition.holder_type == Holder.VEHICLE else (vehicle_id, member_id)
            counts[key] += n
    return counts


def _holder_for(
    definition: Definition,
    *,
    vehicle_id: int | None,
    member_id: int | None,
    owners: dict[int, int],
    owned: dict[int, list[int]],
) -> tuple[int | None, int | None, str]:
    """(vehicle_id, member_id, why not) of the holder a row names, for this definition's holder type."""
    holder = definition.holder_type
    if holder == Holder.ORDER:
        return None, None, _("Vouchers held by an order are issued with the order, not in bulk.")
    if vehicle_id is not None:
        owner = owners.get(vehicle_id)
        if holder == Holder.VEHICLE:
            return vehicle_id, None, ""
        if owner is None:
            return None, None, _("The vehicle has no current owner.")
        return (None, owner, "") if holder == Holder.MEMBER else (vehicle_id, owner, "")
    if holder == Holder.MEMBER:
        return None, member_id, ""
    vehicles = owned.get(member_id, [])
    if not vehicles:
        return None, None, _("The member owns no vehicle; this voucher is held by a vehicle.")
    if len(vehicles) > 1:
        return None, None, _("The member owns several vehicles; list the plate or VIN instead.")
    return vehicles[0], (member_id if holder == Holder.MEMBER_VEHICLE else None), ""


def _plan(
    definition: Definition,
    entries: list[tuple[int, str, int | None, int | None]],
    *,
    models_by_vehicle: dict[int, tuple],
) -> list[_Planned]:
    """Decide every row: entries are (row number, raw, vehicle id, member id) already resolved."""
    vehicle_ids = {v for _n, _r, v, _m in entries if v is not None}
    member_ids = {m for _n, _r, _v, m in entries if m is not None}
    needs_owner = definition.holder_type in (Holder.MEMBER, Holder.MEMBER_VEHICLE)
    owners = _current_owners(vehicle_ids) if needs_owner else {}
    owned = _owned_vehicles(member_ids) if definition.holder_type != Holder.MEMBER else {}
    extra_vehicles = {v for vs in owned.values() for v in vs} - set(models_by_vehicle)
    if extra_vehicles:
        models_by_vehicle.update(_lookup(Vehicle, "pk", extra_vehicles, ("model_id", "delivery_date")))
    facts = ownership_facts(member_ids | set(owners.values())) if needs_ownership_facts(definition) else None
    allowed_models = set(definition.allowed_models.values_list("pk", flat=True))
    needs_delivery = definition.validity_policy == Definition.ValidityPolicy.DELIVERY_WINDOW

    planned: list[_Planned] = []
    seen: dict[tuple, int] = {}
    for row_number, raw, vehicle_id, member_id in entries:
        item = _Planned(row_number=row_number, raw=raw)
        planned.append(item)
        if vehicle_id is None and member_id is None:
            continue  # already rejected by the caller
        holder_vehicle, holder_member, why = _holder_for(
            definition, vehicle_id=vehicle_id, member_id=member_id, owners=owners, owned=owned
        )
        item.vehicle_id, item.member_id = holder_vehicle, holder_member
        if not why and facts is not None:
            why = _holder_problem(definition, holder_vehicle, holder_member, facts)
        if why:
            item.reason, item.detail = Reason.NOT_ELIGIBLE, why
            continue
        key = (holder_vehicle, holder_member)
        if key in seen:
            item.reason = Reason.DUPLICATE
            item.detail = _("Same holder as row %(row)s.") % {"row": seen[key]}
            continue
        seen[key] = row_number
        if holder_vehicle is not None:
            model_id, delivery_date = models_by_vehicle.get(holder_vehicle, (None, None))
            if allowed_models and model_id not in allowed_models:
                item.reason, item.detail = Reason.NOT_ELIGIBLE, _("This vehicle model is not eligible.")
            elif needs_delivery and delivery_date is None:
                item.reason = Reason.NOT_ELIGIBLE
                item.detail = _("The vehicle has no delivery date; this voucher is valid relative to it.")
    _apply_limits(definition, planned)
    return planned


def _holder_problem(
    definition: Definition, vehicle_id: int | None, member_id: int | None, facts: dict[int, OwnershipFacts]
) -> str:
    """The issuing rule's refusal for this holder (first owner, repurchase), as a row's detail."""
    problem = holder_refusal(
        definition,
        member_id=member_id,
        vehicle_id=vehicle_id,
        ownership=facts.get(member_id, OwnershipFacts()) if member_id is not None else OwnershipFacts(),
    )
    return problem.message if problem is not None else ""


def _apply_limits(definition: Definition, planned: list[_Planned], *, stock_left: int | None = None) -> None:
    """Reject rows over the per-holder limit, then the rows beyond the stock (in file order)."""
    ok = [p for p in planned if not p.reason and (p.vehicle_id or p.member_id)]
    if definition.per_holder_limit is not None:
        held = _held_counts(definition, [(p.vehicle_id, p.member_id) for p in ok])
        for item in ok:
            if (
                held[(item.vehicle_id, item.member_id)] // definition.series_count + 1
                > definition.per_holder_limit
            ):
                item.reason = Reason.NOT_ELIGIBLE
                item.detail = _("The holder already has as many of these vouchers as allowed.")
    if stock_left is None:
        stock_left = definition.stock_left
    if stock_left is not None:
        remaining = stock_left
        for item in planned:
            if item.reason or not (item.vehicle_id or item.member_id):
                continue
            if remaining <= 0:
                item.reason = Reason.STOCK_EXHAUSTED
                item.detail = _("No stock is left for this row.")
            remaining -= 1


def _resolve(
    definition: Definition,
    *,
    values: list[tuple[int, str]] | None,
    identifier_kind: str,
    stored: list[tuple[int, str, int | None, int | None]] | None,
) -> list[_Planned]:
    """Decide every row. `values` are (row number, text) of a whitelist; `stored` are audience rows
    (row number, label, vehicle id, member id) already naming their vehicle or member."""
    entries: list[tuple[int, str, int | None, int | None]] = []
    rejected_early: dict[int, tuple[str, str]] = {}
    models_by_vehicle: dict[int, tuple] = {}
    if values is not None:
        classified = [(n, raw, _classify(raw, identifier_kind)) for n, raw in values]
        wanted: dict[str, set[str]] = defaultdict(set)
        for _n, _raw, parsed in classified:
            if parsed is not None:
                wanted[parsed[0]].add(parsed[1])
        columns = ("pk", "model_id", "delivery_date")
        by_vin = _lookup(Vehicle, "vin", wanted["vin"], columns)
        by_plate = _lookup(Vehicle, "plate_key", wanted["plate"], columns)
        by_phone = _lookup(Member, "phone", wanted["phone"], ("pk",))
        for found in (*by_vin.values(), *by_plate.values()):
            models_by_vehicle[found[0]] = found[1:]
        for n, raw, parsed in classified:
            if parsed is None:
                rejected_early[n] = (Reason.MALFORMED, _("Not a licence plate, VIN or mobile number."))
                entries.append((n, raw, None, None))
                continue
            kind, value = parsed
            if kind == "phone":
                member = by_phone.get(value)
                entries.append((n, raw, None, member[0] if member else None))
            else:
                vehicle = (by_vin if kind == "vin" else by_plate).get(value)
                entries.append((n, raw, vehicle[0] if vehicle else None, None))
            if entries[-1][2] is None and entries[-1][3] is None:
                what = _("No member has this mobile number.") if kind == "phone" else _("No vehicle matches.")
                rejected_early[n] = (Reason.UNKNOWN, what)
    else:
        entries = list(stored or [])
        vehicle_ids = {v for _n, _r, v, _m in entries if v is not None}
        models_by_vehicle.update(_lookup(Vehicle, "pk", vehicle_ids, ("model_id", "delivery_date")))
    planned = _plan(definition, entries, models_by_vehicle=models_by_vehicle)
    for item in planned:
        if item.row_number in rejected_early:
            item.reason, item.detail = rejected_early[item.row_number]
    return planned


ROW_FIELDS = ("batch", "row_number", "raw", "vehicle", "member", "status", "reason", "detail")


def issue_batch_submit(
    *,
    definition: Definition,
    reason: str,
    source_kind: str,
    source_label: str,
    values: list[tuple[int, str]] | None = None,
    identifier_kind: str = "auto",
    vehicle_ids: list[int] | None = None,
    member_ids: list[int] | None = None,
    actor=None,
    check_now: bool = False,
    now: datetime | None = None,
) -> IssueBatch:
    """Store a whitelist (`values`: (row number, text)) or an audience (`vehicle_ids` or
    `member_ids`) as an unchecked batch and run the dry run: by a task after commit, or here when
    `check_now`. Raises DefinitionNotIssuable or ReasonRequired; nothing is issued.
    """
    now = now or timezone.now()
    reason = require_reason(reason)
    _require_issuable(definition, Voucher.Source.BULK)
    if identifier_kind not in IDENTIFIER_KINDS:
        raise ValueError(identifier_kind)
    if values is not None:
        rows = [(n, fit_to_column(IssueBatchRow, "raw", raw), None, None) for n, raw in values]
    elif vehicle_ids is not None:
        plates = _lookup(Vehicle, "pk", set(vehicle_ids), ("plate",))
        rows = [(i, plates[pk][0], pk, None) for i, pk in enumerate(vehicle_ids, start=1) if pk in plates]
    else:
        phones = _lookup(Member, "pk", set(member_ids or []), ("phone",))
        rows = [
            (i, phones[pk][0], None, pk) for i, pk in enumerate(member_ids or [], start=1) if pk in phones
        ]
    with transaction.atomic():
        batch = IssueBatch.objects.create(
            definition=definition,
            source_kind=source_kind,
            source_label=fit_to_column(IssueBatch, "source_label", source_label),
            identifier_kind=identifier_kind,
            reason=fit_to_column(IssueBatch, "reason", reason),
            status=BatchStatus.CHECKING,
            rows_total=len(rows),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
            created_at=now,
        )
        rows_insert(
            IssueBatchRow,
            ROW_FIELDS,
            ((batch.pk, n, raw, v, m, Row.Status.UNCHECKED, "", "") for n, raw, v, m in rows),
        )
        if not check_now:
            _enqueue_check(batch.pk)
    return issue_batch_check(batch_id=batch.pk) if check_now else batch


def _enqueue_check(batch_id: int) -> None:
    transaction.on_commit(
        lambda: async_task(
            "vouchers.tasks.issue_batch_check_run", batch_id, task_name=f"check-batch-{batch_id}"
        )
    )


def issue_batch_prepare(**kwargs) -> IssueBatch:
    """The dry run, done at once (for callers that can wait: tests, the benchmark, commands)."""
    return issue_batch_submit(**kwargs, check_now=True)


def issue_batch_check(*, batch_id: int) -> IssueBatch:
    """The dry run of a submitted batch: every row gets its holder or its reason. Runs once."""
    with transaction.atomic():
        # The batch only: the definition is read, not locked (issuing re-checks it under its lock),
        # so claims and partner issues of it go on while a large file is checked.
        batch = issue_batch_for_update(batch_id)
        if batch.status != BatchStatus.CHECKING:
            return batch
        stored = list(
            IssueBatchRow.objects.filter(batch=batch)
            .order_by("row_number")
            .values_list("row_number", "raw", "vehicle_id", "member_id")
        )
        if batch.source_kind == IssueBatch.SourceKind.FILE:
            values = [(n, raw) for n, raw, _v, _m in stored]
            planned = _resolve(
                batch.definition, values=values, identifier_kind=batch.identifier_kind, stored=None
            )
        else:
            planned = _resolve(batch.definition, values=None, identifier_kind="auto", stored=stored)
        # Replace the unchecked rows by the decided ones: one DELETE and one COPY beat 100k UPDATEs.
        IssueBatchRow.objects.filter(batch=batch).delete()
        rows_insert(
            IssueBatchRow,
            ROW_FIELDS,
            (
                (
                    batch.pk,
                    p.row_number,
                    fit_to_column(IssueBatchRow, "raw", p.raw),
                    p.vehicle_id if not p.reason else None,
                    p.member_id if not p.reason else None,
                    Row.Status.REJECTED if p.reason else Row.Status.PENDING,
                    p.reason,
                    fit_to_column(IssueBatchRow, "detail", p.detail),
                )
                for p in planned
            ),
        )
        valid = sum(1 for p in planned if not p.reason)
        batch.status = BatchStatus.PREPARED
        batch.rows_total = len(planned)
        batch.rows_valid = valid
        batch.rows_rejected = len(planned) - valid
        batch.rows_done = len(planned) - valid
        batch.save(update_fields=["status", "rows_total", "rows_valid", "rows_rejected", "rows_done"])
    return batch


def issue_batch_enqueue(batch_id: int, *, workers: int = 1) -> None:
    """Run the batch's task on `workers` workers after the current transaction commits (immediately
    outside one); each takes chunks the others do not hold."""

    def enqueue():
        for number in range(1, workers + 1):
            async_task(
                "vouchers.tasks.issue_batch_run", batch_id, task_name=f"issue-batch-{batch_id}-{number}"
            )

    transaction.on_commit(enqueue)


def issue_batch_confirm(*, batch: IssueBatch, actor=None, now: datetime | None = None) -> IssueBatch:
    """Queue a checked batch for issuance. Confirming again changes nothing and queues nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = issue_batch_for_update(batch.pk)
        if locked.status != BatchStatus.PREPARED:
            return locked
        _require_issuable(locked.definition, Voucher.Source.BULK)
        locked.status = BatchStatus.QUEUED
        locked.confirmed_by = actor if getattr(actor, "is_authenticated", False) else None
        locked.confirmed_at = now
        locked.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        issue_batch_enqueue(locked.pk, workers=settings.VOUCHERS_BULK_WORKERS)
    return locked


def issue_batch_cancel(*, batch: IssueBatch) -> IssueBatch:
    """Drop a checked batch that was not confirmed."""
    with transaction.atomic():
        locked = issue_batch_for_update(batch.pk)
        if locked.status == BatchStatus.PREPARED:
            locked.status = BatchStatus.CANCELLED
            locked.save(update_fields=["status"])
    return locked


def issue_batch_resume(*, batch: IssueBatch) -> IssueBatch:
    """Queue the remaining rows again (after a stop, or a worker lost with its task)."""
    with transaction.atomic():
        locked = issue_batch_for_update(batch.pk)
        if locked.status == BatchStatus.CHECKING:
            _enqueue_check(locked.pk)
            return locked
        if locked.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING, BatchStatus.STOPPED):
            return locked
        _require_issuable(locked.definition, Voucher.Source.BULK)
        locked.status = BatchStatus.QUEUED if locked.status == BatchStatus.STOPPED else locked.status
        locked.last_error = ""
        locked.save(update_fields=["status", "last_error"])
        issue_batch_enqueue(locked.pk, workers=settings.VOUCHERS_BULK_WORKERS)
    return locked


def issue_batch_process(
    *,
    batch_id: int,
    chunk_size: int | None = None,
    time_budget: float | None = None,
    now: datetime | None = None,
) -> IssueBatch:
    """Issue pending rows chunk by chunk until none is left for this worker or `time_budget`
    seconds have passed. Several workers may run it on one batch side by side.

    Returns the batch; its status is still RUNNING when time ran out (`out_of_time`: the task queues
    a successor) or when the last rows are in another worker's chunk (that worker finishes the batch).
    """
    chunk_size = chunk_size or settings.VOUCHERS_BULK_CHUNK_ROWS
    started = time.monotonic()
    while True:
        batch, more = _process_chunk(batch_id, chunk_size, now)
        if not more:
            return batch
        if time_budget is not None and time.monotonic() - started >= time_budget:
            batch.out_of_time = True
            return batch


class _DecideUnderTheLocks(Exception):
    """A chunk written before its locks found under them something it had not assumed: it is
    rolled back and decided again with the locks taken first."""


def _process_chunk(batch_id: int, chunk_size: int, now: datetime | None) -> tuple[IssueBatch, bool]:
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        try:
            return _process_chunk_locking_last(batch_id, chunk_size, now)
        except _DecideUnderTheLocks:
            pass  # its transaction rolled back: nothing of it was written
    return _process_chunk_locking_first(batch_id, chunk_size, now)


def _process_chunk_locking_first(batch_id: int, chunk_size: int, now: datetime) -> tuple[IssueBatch, bool]:
    """The batch and the definition locked, then each row decided (stock, limits, holder rules)."""
    with transaction.atomic():
        batch = issue_batch_for_update(batch_id)
        if batch.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING):
            return batch, False
        definition = definition_for_update(batch.definition_id)
        try:
            _require_issuable(definition, Voucher.Source.BULK)
        except DomainError as exc:
            batch.status = BatchStatus.STOPPED
            batch.last_error = fit_to_column(IssueBatch, "last_error", exc.message)
            batch.save(update_fields=["status", "last_error"])
            return batch, False
        if batch.status == BatchStatus.QUEUED:
            batch.status = BatchStatus.RUNNING
            batch.started_at = batch.started_at or now
        needs_delivery = definition.validity_policy == Definition.ValidityPolicy.DELIVERY_WINDOW
        rows = issue_batch_pending_for_update(batch.pk, chunk_size, with_delivery_date=needs_delivery)
        if not rows:
            if IssueBatchRow.objects.filter(batch_id=batch.pk, status=Row.Status.PENDING).exists():
                return batch, False  # the last rows are in another worker's chunk: it finishes
            batch.status = BatchStatus.DONE
            batch.finished_at = now
            batch.progress_at = now
            batch.save(update_fields=["status", "started_at", "finished_at", "progress_at"])
            return batch, False
        voucher_ids, _tally = _issue_rows(batch, definition, rows, now)
        _announce(voucher_ids)
    return batch, True


def _process_chunk_locking_last(batch_id: int, chunk_size: int, now: datetime) -> tuple[IssueBatch, bool]:
    """The rows locked and written first, the batch and the definition locked just before COMMIT;
    raises _DecideUnderTheLocks (rolling the chunk back) where the rows need decisions of their own
    or the locks find the batch, the definition or the stock other than assumed."""
    with transaction.atomic():
        batch = IssueBatch.objects.select_related("definition").get(pk=batch_id)
        definition = batch.definition
        if (
            batch.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING)
            or not _issuable(definition)
            or not _rows_alike(definition, rows=chunk_size)
        ):
            raise _DecideUnderTheLocks
        needs_delivery = definition.validity_policy == Definition.ValidityPolicy.DELIVERY_WINDOW
        rows = issue_batch_pending_for_update(batch.pk, chunk_size, with_delivery_date=needs_delivery)
        if not rows:
            raise _DecideUnderTheLocks  # finishing: decided under the batch's lock
        with _foreign_keys_checked_now():
            voucher_ids, tally = _issue_rows(batch, definition, rows, now, counters_locked=False)
        locked = issue_batch_for_update(batch_id)
        locked_definition = definition_for_update(definition.pk)
        stock_left = locked_definition.stock_left
        if (
            locked.status not in (BatchStatus.QUEUED, BatchStatus.RUNNING)
            or _issuance_terms(locked_definition) != _issuance_terms(definition)
            or (stock_left is not None and stock_left < tally.issued)
        ):
            raise _DecideUnderTheLocks
        if locked.status == BatchStatus.QUEUED:
            locked.status = BatchStatus.RUNNING
            locked.started_at = locked.started_at or now
        _count(locked, tally, now=now)
        locked.save(update_fields=BATCH_PROGRESS)
        if tally.issued:
            Definition.objects.filter(pk=definition.pk).update(stock_issued=F("stock_issued") + tally.issued)
        _announce(voucher_ids)
    return locked, True


def _issuable(definition: Definition) -> bool:
    try:
        _require_issuable(definition, Voucher.Source.BULK)
    except DomainError:
        return False
    return True


def _issuance_terms(definition: Definition) -> dict:
    """Every column of the definition but its stock count: a chunk written from one reading is
    valid under the lock only if none of them changed since (a rule, a date, the status)."""
    return {
        f.attname: getattr(definition, f.attname)
        for f in Definition._meta.concrete_fields
        if f.attname != "stock_issued"
    }


@contextlib.contextmanager
def _foreign_keys_checked_now():
    """PostgreSQL checks Django's foreign keys (DEFERRABLE INITIALLY DEFERRED) at COMMIT, which for
    a chunk of 1,000 vouchers and entries is a quarter of its time: here they are checked as the
    chunk's statement ends, before the locks are taken. A rollback ends the setting with the
    transaction; otherwise the rest of the transaction defers them again."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _announce(voucher_ids: list[int]) -> None:
    if voucher_ids:
        signals.voucher_issued.send(
            Voucher, vouchers=None, voucher_ids=voucher_ids, source=Voucher.Source.BULK
        )


# What a chunk changes on its batch (saved with the chunk's other writes).
BATCH_PROGRESS = [
    "status",
    "started_at",
    "rows_done",
    "rows_issued",
    "rows_rejected",
    "vouchers_issued",
    "progress_at",
]


@dataclass(frozen=True)
class _Tally:
    """What a chunk did: rows done, of them issued and rejected, and vouchers created."""

    rows: int
    issued: int
    rejected: int
    vouchers: int


def _count(batch: IssueBatch, tally: _Tally, *, now) -> None:
    """Add a chunk to the batch's counters: the batch is locked, so they are current (no F(), no re-read)."""
    batch.rows_done += tally.rows
    batch.rows_issued += tally.issued
    batch.rows_rejected += tally.rejected
    batch.vouchers_issued += tally.vouchers
    batch.progress_at = now


def _mark_rejected(rejected: list[tuple[int, str, str]]) -> None:
    by_reason: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, reason, detail in rejected:
        by_reason[(reason, fit_to_column(IssueBatchRow, "detail", detail))].append(pk)
    for (reason, detail), pks in by_reason.items():
        for chunk in _chunks(pks):
            IssueBatchRow.objects.filter(pk__in=chunk).update(
                status=Row.Status.REJECTED, reason=reason, detail=detail
            )


def _only_stock_decides(definition: Definition) -> bool:
    """No holder rule and no per-holder limit: only the stock can refuse a row of the definition."""
    return not needs_ownership_facts(definition) and definition.per_holder_limit is None


def _rows_alike(definition: Definition, *, rows: int) -> bool:
    """Whether `rows` rows of the definition may all be issued without a decision of their own: no
    holder rule, no per-holder limit, and stock for every one of them."""
    stock_left = definition.stock_left
    return _only_stock_decides(definition) and (stock_left is None or stock_left >= rows)


def _verdicts(definition: Definition, rows: list[tuple]) -> list[tuple[str, str]] | None:
    """(reason, detail) of each row decided again under the definition's lock, or None when every
    row may be issued. Without a holder rule or a per-holder limit only the stock can refuse a row,
    which needs no object per row."""
    if _rows_alike(definition, rows=len(rows)):
        return None
    if _only_stock_decides(definition):
        stock_left = definition.stock_left
        refused = (Reason.STOCK_EXHAUSTED, _("No stock is left for this row."))
        return [("", "")] * max(stock_left, 0) + [refused] * (len(rows) - max(stock_left, 0))
    planned = [_Planned(row_number=n, raw="", vehicle_id=v, member_id=m) for _pk, n, v, m, _d in rows]
    if needs_ownership_facts(definition):
        # Owners may have changed since the dry run: the holder rule is asked again, as issuing does.
        facts = ownership_facts({p.member_id for p in planned if p.member_id is not None})
        for item in planned:
            item.reason = Reason.NOT_ELIGIBLE
            item.detail = _holder_problem(definition, item.vehicle_id, item.member_id, facts)
            if not item.detail:
                item.reason = ""
    _apply_limits(definition, planned, stock_left=definition.stock_left)
    return [(p.reason, p.detail) for p in planned]


@dataclass
class _Chunk:
    """The vouchers of a chunk, column by column in row order (a row's series together)."""

    issued: list[int]  # batch row pks
    members: list[int | None]
    vehicles: list[int | None]
    windows: list[int]  # 1-based number of the row's (valid_from, valid_until) in `terms`
    series: list[int]
    numbers: list[int]  # row numbers
    terms: list[tuple]  # (status, activated_at, valid_from, valid_until), distinct


def _issue_rows(
    batch: IssueBatch,
    definition: Definition,
    rows: list[tuple],
    now: datetime,
    *,
    counters_locked: bool = True,
):
    """Decide each pending row again under the definition's lock (stock and limits may have moved),
    then create the vouchers and their ISSUED entries, mark the rows issued and save the batch's
    counters. `rows`: (pk, row number, vehicle id, member id, delivery date) in row order. Returns
    the new vouchers' ids and the chunk's _Tally.

    `counters_locked=False` (PostgreSQL; the batch and the definition not locked yet): the stock and
    the batch's counters are left to the caller, who locks them and adds the tally."""
    verdicts = _verdicts(definition, rows)
    found: dict[tuple, tuple | HolderMissing] = {}  # (delivery date, series index) -> terms
    number_of: dict[tuple, int] = {}  # terms -> 1-based number
    chunk = _Chunk([], [], [], [], [], [], [])
    rejected: list[tuple[int, str, str]] = []
    series_count = definition.series_count
    for i, (pk, row_number, vehicle_id, member_id, delivered) in enumerate(rows):
        if verdicts is not None and verdicts[i][0]:
            rejected.append((pk, *verdicts[i]))
            continue
        windows = []
        for k in range(series_count):
            key = (delivered, k)
            terms = found.get(key)
            if terms is None:
                try:
                    terms = voucher_terms(definition, now=now, delivery_date=delivered, series_index=k)
                except HolderMissing as exc:
                    terms = exc
                found[key] = terms
            if isinstance(terms, HolderMissing):
                rejected.append((pk, Reason.NOT_ELIGIBLE, terms.message))
                break
            windows.append(number_of.setdefault(terms, len(number_of) + 1))
        else:
            chunk.issued.append(pk)
            for k, window in enumerate(windows):
                chunk.members.append(member_id)
                chunk.vehicles.append(vehicle_id)
                chunk.windows.append(window)
                chunk.series.append(k)
                chunk.numbers.append(row_number)
    if rejected:
        _mark_rejected(rejected)
    tally = _Tally(
        rows=len(rows), issued=len(chunk.issued), rejected=len(rejected), vouchers=len(chunk.numbers)
    )
    if counters_locked:
        _count(batch, tally, now=now)
    if not chunk.issued:
        if counters_locked:
            batch.save(update_fields=BATCH_PROGRESS)
        return [], tally
    chunk.terms = list(number_of)
    # Status and activation time are the definition's, whatever the window: any computed terms say them.
    status, activated_at, _from, _until = chunk.terms[0]
    template = Voucher(
        definition_id=definition.pk,
        status=status,
        uses_total=definition.uses_per_voucher,
        uses_left=definition.uses_per_voucher,
        source=Voucher.Source.BULK,
        issued_at=now,
        activated_at=activated_at,
        status_changed_at=now,
    )
    who = ledger_actor_columns(
        Actor(ActorKind.SYSTEM, name=f"bulk:{batch.pk}", user_id=batch.confirmed_by_id)
    )
    entry = LedgerEntry(
        kind=LedgerEntry.Kind.ISSUED,
        delta=template.uses_total,
        status_before="",
        status_after=status,
        uses_left_after=template.uses_left,
        **who,
        reason=fit_to_column(LedgerEntry, "reason", batch.reason),
        created_at=now,
    )
    if connection.vendor == "postgresql":
        voucher_ids, marked = _insert_postgresql(
            batch, definition, template, entry, chunk, now, counters=counters_locked
        )
    else:
        voucher_ids, marked = _insert_objects(batch, definition, template, entry, chunk, now)
    if marked != len(chunk.issued):  # would mean a row issued without its mark: undo the chunk
        raise RuntimeError(f"batch {batch.pk}: {marked} rows marked for {len(chunk.issued)} issued")
    return voucher_ids, tally


def _insert_postgresql(
    batch: IssueBatch,
    definition: Definition,
    template: Voucher,
    entry: LedgerEntry,
    chunk: _Chunk,
    now,
    *,
    counters: bool = True,
) -> tuple[list[int], int]:
    """The chunk's vouchers, their ledger entries, the rows' issued marks and (`counters`) the stock
    and the batch's counters in one statement: the varying values travel as arrays (one parameter
    each), everything else is the template's. Returns (voucher ids, rows marked)."""
    ref = f"batch:{batch.pk}:"
    v_columns, v_select, v_params = insert_columns(
        template,
        {
            "code": "t.code",
            "member_id": "t.member_id",
            "vehicle_id": "t.vehicle_id",
            "valid_from": ("(%s::timestamptz[])[t.w]", [[t[2] for t in chunk.terms]]),
            "valid_until": ("(%s::timestamptz[])[t.w]", [[t[3] for t in chunk.terms]]),
            "series_index": "t.series_index",
            "external_ref": ("%s || t.row_number", [ref]),
        },
    )
    l_columns, l_select, l_params = insert_columns(
        entry,
        {
            "voucher_id": "v.id",
            # The row number is read back from the voucher's reference: no join of the new
            # vouchers with the chunk's rows (on their codes, a sort of 1,000 strings per chunk).
            "data": (
                "jsonb_build_object('source', %s::text, 'batch', %s::bigint,"
                " 'row', substr(v.external_ref, %s)::integer)",
                [Voucher.Source.BULK, batch.pk, len(ref) + 1],
            ),
        },
    )
    row_table = IssueBatchRow._meta.db_table
    counter_updates, counter_params = "", []
    if counters:
        batch_update, b_params = update_columns(batch, BATCH_PROGRESS)
        counter_updates = f""", s AS (
            UPDATE {Definition._meta.db_table} SET stock_issued = stock_issued + %s WHERE id = %s
        ), b AS (
            {batch_update}
        )"""  # noqa: S608 - model metadata only, as below
        counter_params = [len(chunk.issued), definition.pk, *b_params]
    # Only model metadata is formatted in; every value is a parameter. A row is marked only while
    # still pending (it is locked by this transaction): the count says whether all of them were.
    # The batch and row range lead the planner to the batch's unique index (the table's statistics
    # may predate the rows the dry run wrote, and then `id = ANY` alone is planned as a full scan).
    statement = f"""
        WITH t AS (
            SELECT * FROM unnest(
                %s::{array_type(Voucher, "code")}, %s::bigint[], %s::bigint[],
                %s::smallint[], %s::smallint[], %s::integer[]
            ) AS t(code, member_id, vehicle_id, w, series_index, row_number)
        ), v AS (
            INSERT INTO {Voucher._meta.db_table} ({v_columns}) SELECT {v_select} FROM t
            RETURNING id, external_ref
        ), l AS (
            INSERT INTO {LedgerEntry._meta.db_table} ({l_columns}) SELECT {l_select} FROM v ORDER BY v.id
            RETURNING voucher_id
        ), m AS (
            UPDATE {row_table} SET status = %s, issued_at = %s
            WHERE batch_id = %s AND row_number BETWEEN %s AND %s AND id = ANY(%s::bigint[]) AND status = %s
            RETURNING 1
        ){counter_updates}
        SELECT (SELECT array_agg(voucher_id ORDER BY voucher_id) FROM l), (SELECT count(*) FROM m)
    """  # noqa: S608
    codes = codes_generate(len(chunk.numbers))
    columns = (codes, chunk.members, chunk.vehicles, chunk.windows, chunk.series, chunk.numbers)
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [
                *(_array_literal(c) for c in columns),
                *v_params,
                *l_params,
                Row.Status.ISSUED,
                now,
                batch.pk,
                chunk.numbers[0],
                chunk.numbers[-1],
                _array_literal(chunk.issued),
                Row.Status.PENDING,
                *counter_params,
            ],
        )
        voucher_ids, marked = cursor.fetchone()
    return voucher_ids, marked


def _array_literal(values) -> str:
    """An array parameter as PostgreSQL's text form ({1,2,NULL}): one string instead of a list
    psycopg adapts element by element. Only for numbers and codes (no quoting needed)."""
    return "{" + ",".join("NULL" if v is None else str(v) for v in values) + "}"


def _insert_objects(
    batch: IssueBatch, definition: Definition, template: Voucher, entry: LedgerEntry, chunk: _Chunk, now
) -> tuple[list[int], int]:
    """The same rows through the ORM (SQLite: development and tests)."""
    fields = {
        f.attname: getattr(template, f.attname) for f in Voucher._meta.concrete_fields if not f.primary_key
    }
    codes = codes_generate(len(chunk.numbers))
    vouchers = Voucher.objects.bulk_create(
        [
            Voucher(
                **{
                    **fields,
                    "code": code,
                    "member_id": member_id,
                    "vehicle_id": vehicle_id,
                    "valid_from": chunk.terms[w - 1][2],
                    "valid_until": chunk.terms[w - 1][3],
                    "series_index": k,
                    "external_ref": f"batch:{batch.pk}:{row_number}",
                }
            )
            for code, member_id, vehicle_id, w, k, row_number in zip(
                codes, chunk.members, chunk.vehicles, chunk.windows, chunk.series, chunk.numbers, strict=True
            )
        ]
    )
    columns = {
        f.attname: getattr(entry, f.attname) for f in LedgerEntry._meta.concrete_fields if not f.primary_key
    }
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                **{
                    **columns,
                    "voucher_id": voucher.pk,
                    "data": {"source": Voucher.Source.BULK, "batch": batch.pk, "row": row_number},
                }
            )
            for voucher, row_number in zip(vouchers, chunk.numbers, strict=True)
        ]
    )
    marked = 0
    for pks in _chunks(chunk.issued):
        marked += IssueBatchRow.objects.filter(pk__in=pks, status=Row.Status.PENDING).update(
            status=Row.Status.ISSUED, issued_at=now
        )
    VoucherDefinition.objects.filter(pk=definition.pk).update(
        stock_issued=F("stock_issued") + len(chunk.issued)
    )
    batch.save(update_fields=BATCH_PROGRESS)
    return [v.pk for v in vouchers], marked
