"""Issuing vouchers: one or a series, to a vehicle, a member, both, or an order; and self-claim."""

from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Member
from vehicles.models import Vehicle
from vehicles.selectors import member_ownership_facts

from .. import signals
from ..claims import ClaimRefusal, claim_assessment, claim_refusal_error
from ..codes import code_generate
from ..exceptions import (
    DefinitionNotIssuable,
    HolderLimitReached,
    HolderMissing,
    InvalidQuantity,
    OrderNotIssuable,
    StockExhausted,
)
from ..holder_rules import holder_refusal, needs_ownership_facts
from ..locks import definition_for_update, order_for_update
from ..models import LedgerEntry, Order, Voucher, VoucherDefinition
from ..money import amount_split
from ..selectors import claimant_facts
from ..validity import MissingDeliveryDate, validity_window
from ._ledger import ledger_actor_columns

Definition = VoucherDefinition
Source = Voucher.Source
MAX_QUANTITY = 100

_SOURCE_CHANNEL = {
    Source.MANUAL: "channel_manual",
    Source.BULK: "channel_manual",
    Source.CLAIM: "channel_claim",
    Source.EVENT: "channel_event",
    Source.CAMPAIGN: "channel_event",
    Source.API: "channel_api",
    Source.BUNDLE: "channel_bundle",
    Source.PURCHASE: "channel_shop",
}


def _require_issuable(definition: VoucherDefinition, source: str) -> None:
    if definition.status != Definition.Status.PUBLISHED:
        raise DefinitionNotIssuable()
    channel_field = _SOURCE_CHANNEL.get(source)
    if channel_field is not None and not getattr(definition, channel_field):
        raise DefinitionNotIssuable()


def _require_holder(
    definition: VoucherDefinition, member: Member | None, vehicle: Vehicle | None, order: Order | None
) -> None:
    holder = definition.holder_type
    label = Definition.HolderType(holder).label
    if holder == Definition.HolderType.VEHICLE and vehicle is None:
        raise HolderMissing(holder=label)
    if holder == Definition.HolderType.MEMBER and member is None:
        raise HolderMissing(holder=label)
    if holder == Definition.HolderType.ORDER and order is None:
        raise HolderMissing(holder=label)
    if needs_ownership_facts(definition):
        member_id = member.pk if member is not None else None
        problem = holder_refusal(
            definition,
            member_id=member_id,
            vehicle_id=vehicle.pk if vehicle is not None else None,
            ownership=member_ownership_facts(member_id),
        )
        if problem is not None:
            raise problem


def _holder_filter(definition: VoucherDefinition, member, vehicle, order) -> Q:
    holder = definition.holder_type
    if holder == Definition.HolderType.VEHICLE:
        return Q(vehicle=vehicle)
    if holder == Definition.HolderType.MEMBER:
        return Q(member=member)
    if holder == Definition.HolderType.ORDER:
        return Q(order=order)
    return Q(member=member, vehicle=vehicle)


def _replayed(definition: VoucherDefinition, idempotency_key: str | None) -> list[Voucher]:
    """The vouchers an earlier call with this idempotency key issued (none without a key)."""
    if not idempotency_key:
        return []
    return list(
        Voucher.objects.filter(
            definition=definition,
            ledger__kind=LedgerEntry.Kind.ISSUED,
            ledger__idempotency_key=idempotency_key,
        ).order_by("pk")
    )


def voucher_issue(
    *,
    definition: VoucherDefinition,
    source: str,
    member: Member | None = None,
    vehicle: Vehicle | None = None,
    order: Order | None = None,
    quantity: int = 1,
    actor: Actor | None = None,
    reason: str = "",
    external_ref: str = "",
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> list[Voucher]:
    """Issue `quantity` units of `definition` (each unit is a series of `series_count` vouchers).

    Locks the definition row, so stock, the per-holder limit and idempotency keys are exact under
    concurrency. A replay with the same idempotency key returns the vouchers the first call issued.
    """
    now = now or timezone.now()
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(maximum=MAX_QUANTITY)
    with transaction.atomic():
        locked = definition_for_update(definition.pk)
        earlier = _replayed(locked, idempotency_key)
        if earlier:
            return earlier
        _require_issuable(locked, source)
        # A voucher held by the car is nobody's in particular; a member's voucher follows the member.
        if locked.holder_type == Definition.HolderType.VEHICLE:
            member = None
        elif locked.holder_type == Definition.HolderType.MEMBER:
            vehicle = None
        _require_holder(locked, member, vehicle, order)
        if locked.per_holder_limit is not None:
            held = Voucher.objects.filter(
                _holder_filter(locked, member, vehicle, order), definition=locked
            ).count()
            if held // locked.series_count + quantity > locked.per_holder_limit:
                raise HolderLimitReached()
        if locked.stock_total is not None and locked.stock_issued + quantity > locked.stock_total:
            raise StockExhausted()
        VoucherDefinition.objects.filter(pk=locked.pk).update(stock_issued=F("stock_issued") + quantity)
        vouchers = _create_vouchers(
            locked,
            member=member,
            vehicle=vehicle,
            order=order,
            quantity=quantity,
            source=source,
            now=now,
            external_ref=external_ref,
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                voucher=v,
                kind=LedgerEntry.Kind.ISSUED,
                delta=v.uses_total,
                status_before="",
                status_after=v.status,
                uses_left_after=v.uses_left,
                **ledger_actor_columns(actor),
                reason=fit_to_column(LedgerEntry, "reason", reason),
                idempotency_key=idempotency_key or None,
                data={"source": source},
                created_at=now,
            )
            for v in vouchers
        )
        signals.voucher_issued.send(
            Voucher, vouchers=vouchers, voucher_ids=[v.pk for v in vouchers], source=source
        )
    definition.stock_issued = locked.stock_issued + quantity
    return vouchers


def voucher_terms(
    definition: VoucherDefinition, *, now: datetime, delivery_date, series_index: int
) -> tuple[str, datetime | None, datetime | None, datetime | None]:
    """(status, activated_at, valid_from, valid_until) of a voucher issued now; HolderMissing when the
    validity counts from a delivery date the vehicle lacks. Bulk issuance computes it once per date."""
    automatic = definition.activation_mode == Definition.ActivationMode.AUTOMATIC
    activated_at = now if automatic else None
    try:
        valid_from, valid_until = validity_window(
            definition,
            issued_at=now,
            activated_at=activated_at,
            delivery_date=delivery_date,
            series_index=series_index,
        )
    except MissingDeliveryDate as exc:
        raise HolderMissing(
            _("This voucher is valid relative to the delivery date; the vehicle has none.")
        ) from exc
    status = Voucher.Status.ACTIVE if automatic else Voucher.Status.INACTIVE
    return status, activated_at, valid_from, valid_until


def voucher_build(
    definition: VoucherDefinition,
    *,
    member: Member | None,
    vehicle: Vehicle | None,
    order: Order | None,
    series_index: int,
    source: str,
    now: datetime,
    external_ref: str = "",
) -> Voucher:
    """An unsaved voucher with its code, status and validity window."""
    status, activated_at, valid_from, valid_until = voucher_terms(
        definition,
        now=now,
        delivery_date=vehicle.delivery_date if vehicle is not None else None,
        series_index=series_index,
    )
    return Voucher(
        code=code_generate(),
        definition=definition,
        member=member,
        vehicle=vehicle,
        order=order,
        status=status,
        uses_total=definition.uses_per_voucher,
        uses_left=definition.uses_per_voucher,
        valid_from=valid_from,
        valid_until=valid_until,
        series_index=series_index,
        source=source,
        external_ref=fit_to_column(Voucher, "external_ref", external_ref),
        issued_at=now,
        activated_at=activated_at,
        status_changed_at=now,
    )


def _create_vouchers(
    definition, *, member, vehicle, order, quantity, source, now, external_ref
) -> list[Voucher]:
    vouchers = [
        voucher_build(
            definition,
            member=member,
            vehicle=vehicle,
            order=order,
            series_index=k,
            source=source,
            now=now,
            external_ref=external_ref,
        )
        for _unit in range(quantity)
        for k in range(definition.series_count)
    ]
    return Voucher.objects.bulk_create(vouchers)


def claim_refusals(
    definition: VoucherDefinition, *, member: Member, vehicle: Vehicle | None, now: datetime
) -> list[ClaimRefusal]:
    """Why `member` may not claim `definition` for `vehicle` now; empty when they may.

    The claim centre page asks the same `claim_assessment`, with facts fetched for all its offers.
    """
    facts = claimant_facts(
        member, definition_ids=[definition.pk], vehicle_ids=[vehicle.pk] if vehicle is not None else []
    )
    return claim_assessment(definition, facts=facts, vehicle=vehicle, now=now)


def voucher_claim(
    *,
    definition: VoucherDefinition,
    member: Member,
    vehicle: Vehicle | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> list[Voucher]:
    """An owner claims a voucher open for self-claim; stock and the per-holder limit hold exactly.

    The claim conditions are checked under the definition's row lock (which voucher_issue then
    holds on to), so a change of the window or conditions and a claim serialise.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = definition_for_update(definition.pk)
        earlier = _replayed(locked, idempotency_key)
        if earlier:
            return earlier  # a double tap answers the first claim, not "already claimed"
        refusals = claim_refusals(locked, member=member, vehicle=vehicle, now=now)
        if refusals:
            raise claim_refusal_error(refusals[0])
        vouchers = voucher_issue(
            definition=locked,
            source=Source.CLAIM,
            member=member,
            vehicle=vehicle,
            actor=Actor.owner(member),
            idempotency_key=idempotency_key,
            now=now,
        )
    definition.stock_issued = locked.stock_issued
    return vouchers


def order_issue(*, order: Order, actor: Actor | None = None, now: datetime | None = None) -> list[Voucher]:
    """Issue a paid order's vouchers and split its amount over them; a second call issues nothing.

    Each voucher keeps the part of the order's amount it was paid for (largest remainder, weighted by
    face value × uses, so the parts add up to the amount exactly).
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = order_for_update(order.pk)
        if locked.status == Order.Status.ISSUED:
            return list(locked.vouchers.order_by("pk"))
        if locked.status not in (Order.Status.PENDING, Order.Status.PAID):
            raise OrderNotIssuable()
        locked.status = Order.Status.ISSUED
        locked.issued_at = now
        locked.save(update_fields=["status", "issued_at"])
        issued: list[Voucher] = []
        source = Source.PURCHASE if locked.definition_id else Source.BUNDLE
        for key, definition, quantity in _order_lines(locked):
            issued += voucher_issue(
                definition=definition,
                source=source,
                member=locked.member,
                vehicle=locked.vehicle,
                order=locked,
                quantity=quantity,
                actor=actor,
                reason=f"order {locked}",
                idempotency_key=f"order:{locked.pk}:{key}",
                now=now,
            )
        _allocate_amount(locked.amount_twd, issued)
    order.status, order.issued_at = locked.status, locked.issued_at
    return issued


def _order_lines(order: Order) -> list[tuple[str, VoucherDefinition, int]]:
    """(idempotency suffix, definition, units) for each thing the order buys."""
    if order.definition_id is not None:
        return [("definition", order.definition, order.quantity)]
    if order.bundle_id is None:
        return []
    items = order.bundle.items.select_related("definition").order_by("pk")
    return [(str(item.pk), item.definition, item.quantity * order.quantity) for item in items]


def _allocate_amount(amount: int, vouchers: list[Voucher]) -> None:
    if not vouchers:
        return
    weights = [v.definition.face_value_twd * v.uses_total for v in vouchers]
    for voucher, part in zip(vouchers, amount_split(amount, weights), strict=True):
        voucher.amount_paid_twd = part
    Voucher.objects.bulk_update(vouchers, ["amount_paid_twd"])
