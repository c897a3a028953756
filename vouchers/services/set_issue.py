"""Issuing one unit of a definition to each of many holders in one go (campaigns' batches).

`vouchers_issue_each` decides every holder in order with the rules `voucher_issue` applies to one
(open to the channel, the holder the definition needs, the first-owner rule, the per-holder limit,
stock, the validity window), under the definition's row lock, and writes the vouchers, their ISSUED
ledger entries and the stock in a few statements (COPY on PostgreSQL). It is not the bulk-issue
pipeline (`bulk.py`, whitelists and batches with a dry run): it has no rows of its own and runs in
its caller's transaction.

Idempotency is the caller's: each request carries the key recorded on its ledger entries, and the
caller must make sure a request is issued once (campaigns: the recipient leaves `pending` in the
transaction that issues, and a unique constraint on the campaign's vouchers refuses a second issue).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Count, F
from django.utils.translation import gettext_lazy as _

from config.bulk_insert import ids_reserve, rows_insert
from config.errors import DomainError
from config.stored_text import fit_to_column
from members.actors import Actor
from vehicles.models import Ownership

from .. import signals
from ..codes import code_generate
from ..exceptions import HolderLimitReached, HolderMissing, NotFirstOwner, StockExhausted
from ..locks import definition_for_update
from ..models import LedgerEntry, Voucher, VoucherDefinition
from ..validity import MissingDeliveryDate, validity_window
from ._ledger import ledger_actor_columns
from .issuance import _require_issuable

Holder = VoucherDefinition.HolderType
VOUCHER_FIELDS = (
    "id",
    "code",
    "definition",
    "member",
    "vehicle",
    "order",
    "status",
    "amount_paid_twd",
    "uses_total",
    "uses_left",
    "valid_from",
    "valid_until",
    "series_index",
    "source",
    "external_ref",
    "issued_at",
    "activated_at",
    "status_changed_at",
)
LEDGER_FIELDS = (
    "voucher",
    "kind",
    "delta",
    "status_before",
    "status_after",
    "uses_left_after",
    "actor",
    "actor_label",
    "reason",
    "idempotency_key",
    "data",
    "created_at",
)


@dataclass
class HolderRequest:
    """One unit for one holder: the member and/or vehicle the caller has (the definition picks)."""

    member_id: int | None
    vehicle_id: int | None
    delivery_date: date | None = None  # the vehicle's, for validity windows that start from it
    idempotency_key: str = ""


@dataclass
class HolderOutcome:
    voucher_ids: list[int] = field(default_factory=list)  # in series order
    refusal: str = ""  # why not (translated), when the rules refused it
    reached: bool = True  # False: beyond `max_units`, not considered


def _held_counts(definition: VoucherDefinition, holders: set[tuple[int | None, int | None]]) -> Counter:
    """Vouchers of `definition` each (vehicle id, member id) holder has (as `_holder_filter` counts)."""
    counts: Counter = Counter()
    if definition.per_holder_limit is None or not holders:
        return counts
    existing = Voucher.objects.filter(definition=definition).order_by()
    if definition.holder_type == Holder.MEMBER:
        members = {m for _v, m in holders}
        for member_id, n in (
            existing.filter(member_id__in=members).values_list("member_id").annotate(n=Count("pk"))
        ):
            counts[(None, member_id)] = n
        return counts
    vehicles = {v for v, _m in holders}
    rows = (
        existing.filter(vehicle_id__in=vehicles)
        .values_list("vehicle_id", "member_id")
        .annotate(n=Count("pk"))
    )
    for vehicle_id, member_id, n in rows:
        key = (vehicle_id, None) if definition.holder_type == Holder.VEHICLE else (vehicle_id, member_id)
        counts[key] += n
    return counts


def _first_ownerships(vehicle_ids: set[int]) -> dict[int, tuple[int, bool]]:
    """vehicle id → (current owner's member id, whether they are its first owner)."""
    return {
        vehicle_id: (member_id, first)
        for vehicle_id, member_id, first in Ownership.objects.current()
        .filter(vehicle_id__in=vehicle_ids)
        .values_list("vehicle_id", "member_id", "is_first_owner")
    }


def vouchers_issue_each(
    *,
    definition: VoucherDefinition,
    requests: Sequence[HolderRequest],
    source: str,
    actor: Actor | None,
    reason: str,
    now: datetime,
    max_units: int | None = None,
) -> list[HolderOutcome]:
    """One unit (a series of `series_count` vouchers) for each request, in order; one outcome each.

    At most `max_units` requests are issued (a caller's budget); the requests after that are not
    considered (`reached=False`). Locks the definition, so stock and the per-holder limit are exact
    under concurrency. Call inside `transaction.atomic()`.
    """
    outcomes = [HolderOutcome() for _r in requests]
    if not requests:
        return outcomes
    with transaction.atomic():
        locked = definition_for_update(definition.pk)
        holder_type = locked.holder_type
        try:
            _require_issuable(locked, source)
        except DomainError as exc:
            refusal_for_all = exc.message
        else:
            refusal_for_all = ""
        owners = {}
        if holder_type == Holder.MEMBER_VEHICLE:
            owners = _first_ownerships({r.vehicle_id for r in requests if r.vehicle_id is not None})
        holders = [_holder_of(holder_type, r) for r in requests]
        held = _held_counts(locked, {h for h in holders if h is not None})
        stock_left = None if locked.stock_total is None else locked.stock_total - locked.stock_issued
        windows = _Windows(locked, now)
        issued_units = 0
        planned: list[tuple[int, tuple]] = []  # (request index, the voucher's varying values)
        for i, (request, holder) in enumerate(zip(requests, holders, strict=True)):
            outcome = outcomes[i]
            if max_units is not None and issued_units >= max_units:
                outcome.reached = False
                continue
            try:
                if refusal_for_all:
                    raise DomainError(refusal_for_all)
                _require_holder(locked, holder, owners)
                if locked.per_holder_limit is not None and (
                    held[holder] // locked.series_count + 1 > locked.per_holder_limit
                ):
                    raise HolderLimitReached()
                if stock_left is not None and stock_left < 1:
                    raise StockExhausted()
                series = [windows.of(request.delivery_date, k) for k in range(locked.series_count)]
            except DomainError as exc:
                outcome.refusal = exc.message
                continue
            vehicle_id, member_id = holder
            planned += [(i, (member_id, vehicle_id, k, *window)) for k, window in enumerate(series)]
            issued_units += 1
            held[holder] += locked.series_count
            if stock_left is not None:
                stock_left -= 1
        if not planned:
            return outcomes
        ids = ids_reserve(Voucher, len(planned))
        automatic = locked.activation_mode == VoucherDefinition.ActivationMode.AUTOMATIC
        status = Voucher.Status.ACTIVE if automatic else Voucher.Status.INACTIVE
        uses = locked.uses_per_voucher
        activated_at = now if automatic else None

        # The values `voucher_build` gives a voucher (tests/vouchers/test_set_issue.py holds them equal).
        def voucher_row(pk, values):
            member_id, vehicle_id, k, valid_from, valid_until = values
            return (pk, code_generate(), locked.pk, member_id, vehicle_id, None, status, 0, uses, uses,
                    valid_from, valid_until, k, source, "", now, activated_at, now)  # fmt: skip

        rows_insert(
            Voucher, VOUCHER_FIELDS, (voucher_row(pk, p[1]) for pk, p in zip(ids, planned, strict=True))
        )
        VoucherDefinition.objects.filter(pk=locked.pk).update(stock_issued=F("stock_issued") + issued_units)
        who = ledger_actor_columns(actor)
        reason = fit_to_column(LedgerEntry, "reason", reason)
        data = {"source": source}

        def ledger_row(pk, i):
            key = requests[i].idempotency_key or None
            return (pk, LedgerEntry.Kind.ISSUED, uses, "", status, uses, who["actor_id"], who["actor_label"],
                    reason, key, data, now)  # fmt: skip

        rows_insert(
            LedgerEntry, LEDGER_FIELDS, (ledger_row(pk, p[0]) for pk, p in zip(ids, planned, strict=True))
        )
        for pk, (i, _values) in zip(ids, planned, strict=True):
            outcomes[i].voucher_ids.append(pk)
        signals.voucher_issued.send(Voucher, vouchers=None, voucher_ids=ids, source=source)
    definition.stock_issued = locked.stock_issued + issued_units
    return outcomes


class _Windows:
    """Validity windows, computed once per (delivery date, series index): in a batch most repeat."""

    def __init__(self, definition: VoucherDefinition, now: datetime):
        self.definition, self.now, self.known = definition, now, {}
        self.automatic = definition.activation_mode == VoucherDefinition.ActivationMode.AUTOMATIC

    def of(self, delivery_date: date | None, series_index: int) -> tuple:
        key = (delivery_date, series_index)
        if key not in self.known:
            try:
                self.known[key] = validity_window(
                    self.definition,
                    issued_at=self.now,
                    activated_at=self.now if self.automatic else None,
                    delivery_date=delivery_date,
                    series_index=series_index,
                )
            except MissingDeliveryDate:
                self.known[key] = None
        if self.known[key] is None:
            raise HolderMissing(
                _("This voucher is valid relative to the delivery date; the vehicle has none.")
            )
        return self.known[key]


def _holder_of(holder_type: str, request: HolderRequest) -> tuple[int | None, int | None] | None:
    member_id, vehicle_id = request.member_id, request.vehicle_id
    if holder_type == Holder.VEHICLE:
        return None if vehicle_id is None else (vehicle_id, None)
    if holder_type == Holder.MEMBER:
        return None if member_id is None else (None, member_id)
    if holder_type == Holder.MEMBER_VEHICLE:
        return None if member_id is None or vehicle_id is None else (vehicle_id, member_id)
    return None  # held by an order: never issued this way


def _require_holder(definition, holder, owners: dict) -> None:
    """The holder checks of `voucher_issue`, with the current owners read once for all requests."""
    if holder is None:
        raise HolderMissing(holder=Holder(definition.holder_type).label)
    if definition.holder_type == Holder.MEMBER_VEHICLE:
        vehicle_id, member_id = holder
        owner, first = owners.get(vehicle_id, (None, False))
        if owner != member_id:
            raise HolderMissing(holder=Holder(definition.holder_type).label)
        if not first:
            raise NotFirstOwner()
