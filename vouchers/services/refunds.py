"""Refunds: the holder asks (the voucher is locked), operations approve (refunded) or reject (back)."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from members.models import Member

from ..exceptions import InvalidTransition, RefundDecidedWithOrder, RefundNotAllowed
from ..models import LedgerEntry, RefundRequest, Voucher
from ._ledger import ledger_append, ledger_replay, require_reason, require_status, voucher_for_update

Status = Voucher.Status
Kind = LedgerEntry.Kind


def voucher_refund_request(
    *,
    voucher: Voucher,
    member: Member | None,
    reason: str = "",
    actor=None,
    actor_label: str = "",
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> RefundRequest:
    """Ask for the refund of an unused, still valid voucher whose definition allows it; the voucher
    is locked."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        if ledger_replay(locked, idempotency_key, Kind.REFUND_REQUESTED):
            return locked.refund_requests.order_by("-pk").first()
        if not locked.definition.refundable:
            raise RefundNotAllowed()
        require_status(locked, Status.INACTIVE, Status.ACTIVE)
        if locked.uses_left != locked.uses_total:
            raise RefundNotAllowed()
        # Past its end the voucher is worth nothing, even before the nightly sweep marks it expired.
        if locked.valid_until is not None and now > locked.valid_until:
            raise RefundNotAllowed()
        before = locked.status
        locked.status = Status.LOCKED
        ledger_append(
            locked,
            kind=Kind.REFUND_REQUESTED,
            status_before=before,
            now=now,
            actor=actor,
            actor_label=actor_label or (f"owner:{member.pk}" if member else ""),
            reason=reason,
            idempotency_key=idempotency_key,
            data={"previous": before},
        )
        return RefundRequest.objects.create(
            voucher=locked,
            member=member,
            reason=reason[:300],
            amount_twd=locked.definition.face_value_twd,
            created_at=now,
        )


def _pending_for_update(refund: RefundRequest, *, with_order: bool) -> tuple[RefundRequest, Voucher]:
    voucher = voucher_for_update(refund.voucher_id)
    locked = RefundRequest.objects.select_for_update().get(pk=refund.pk)
    if locked.status != RefundRequest.Status.PENDING:
        raise InvalidTransition(status=locked.get_status_display())
    if locked.in_order and not with_order:
        raise RefundDecidedWithOrder()
    require_status(voucher, Status.LOCKED)
    return locked, voucher


def refund_approve(
    *, refund: RefundRequest, actor, reason: str = "", with_order: bool = False, now: datetime | None = None
) -> RefundRequest:
    now = now or timezone.now()
    with transaction.atomic():
        locked, voucher = _pending_for_update(refund, with_order=with_order)
        voucher.status = Status.REFUNDED
        ledger_append(
            voucher,
            kind=Kind.REFUND_APPROVED,
            status_before=Status.LOCKED,
            now=now,
            actor=actor,
            reason=reason,
            data={"refund": locked.pk, "amount_twd": locked.amount_twd},
        )
        _decide(locked, RefundRequest.Status.APPROVED, actor, reason, now)
    return locked


def refund_reject(
    *, refund: RefundRequest, actor, reason: str, with_order: bool = False, now: datetime | None = None
) -> RefundRequest:
    now = now or timezone.now()
    reason = require_reason(reason)
    with transaction.atomic():
        locked, voucher = _pending_for_update(refund, with_order=with_order)
        voucher.status = Status.ACTIVE if voucher.activated_at else Status.INACTIVE
        ledger_append(
            voucher,
            kind=Kind.REFUND_REJECTED,
            status_before=Status.LOCKED,
            now=now,
            actor=actor,
            reason=reason,
            data={"refund": locked.pk},
        )
        _decide(locked, RefundRequest.Status.REJECTED, actor, reason, now)
    return locked


def _decide(refund: RefundRequest, status: str, actor, reason: str, now: datetime) -> None:
    refund.status = status
    refund.decided_at = now
    refund.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    refund.decision_reason = reason[:300]
    refund.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])


def voucher_refund_value(voucher: Voucher, *, now: datetime) -> int:
    """What refunding `voucher` as part of its order gives back: its uses left × its allocated price per
    use (`amount_paid_twd / uses_total`, rounded down); 0 when it can no longer be refunded (used up,
    held, locked, refunded, voided, or past its end)."""
    if (
        voucher.status not in (Status.INACTIVE, Status.ACTIVE)
        or voucher.uses_left <= 0
        or not voucher.uses_total
    ):
        return 0
    if voucher.valid_until is not None and now > voucher.valid_until:
        return 0
    return voucher.amount_paid_twd * voucher.uses_left // voucher.uses_total


def voucher_refund_request_in_order(
    *, voucher: Voucher, member: Member | None, reason: str = "", actor_label: str = "", now: datetime
) -> RefundRequest:
    """Ask for the refund of a voucher bought in an order (its pack or paid voucher refunded as a whole):
    worth `voucher_refund_value`, locked until Finance decides with `refund_approve` / `refund_reject`.
    Must run inside the caller's transaction."""
    locked = voucher_for_update(voucher.pk)
    amount = voucher_refund_value(locked, now=now)
    if amount <= 0:
        raise RefundNotAllowed()
    before = locked.status
    locked.status = Status.LOCKED
    ledger_append(
        locked,
        kind=Kind.REFUND_REQUESTED,
        status_before=before,
        now=now,
        actor_label=actor_label or (f"owner:{member.pk}" if member else ""),
        reason=reason,
        data={"previous": before, "order": locked.order_id, "amount_twd": amount},
    )
    return RefundRequest.objects.create(
        voucher=locked, member=member, reason=reason[:300], amount_twd=amount, created_at=now, in_order=True
    )
