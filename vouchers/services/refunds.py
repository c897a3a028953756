"""Refunds: the holder asks (the voucher is locked), operations approve (refunded) or reject (back)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from config.errors import DomainError
from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Member

from ..exceptions import InvalidTransition, RefundDecidedWithOrder, RefundNotAllowed
from ..locks import refund_request_for_update
from ..models import LedgerEntry, RefundRequest, Voucher
from ._ledger import ledger_append, ledger_replay, require_reason, require_status, voucher_for_update

Status = Voucher.Status
Kind = LedgerEntry.Kind
REFUNDABLE_STATUSES = (Status.INACTIVE, Status.ACTIVE)


@dataclass(frozen=True)
class RefundQuote:
    """What a refund request of a voucher would do: lock it and ask for `amount_twd` back, or, when
    `refusal` is set, nothing."""

    voucher: Voucher
    amount_twd: int
    refusal: DomainError | None

    @property
    def possible(self) -> bool:
        return self.refusal is None


def voucher_refund_quote(voucher: Voucher, *, now: datetime) -> RefundQuote:
    """The rules and the amount of a refund request, read without changing anything: the request
    applies them under the lock, and a page asking the owner to confirm shows them beforehand."""
    refusal: DomainError | None = None
    if not voucher.definition.refundable:
        refusal = RefundNotAllowed()
    elif voucher.status not in REFUNDABLE_STATUSES:
        refusal = InvalidTransition(status=voucher.get_status_display())
    # Only an unused voucher, and not past its end: it is then worth nothing, even before the
    # nightly sweep marks it expired.
    elif voucher.uses_left != voucher.uses_total or (
        voucher.valid_until is not None and now > voucher.valid_until
    ):
        refusal = RefundNotAllowed()
    return RefundQuote(voucher=voucher, amount_twd=voucher.definition.face_value_twd, refusal=refusal)


def voucher_refund_request(
    *,
    voucher: Voucher,
    member: Member | None,
    reason: str = "",
    actor: Actor | None = None,
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
        quote = voucher_refund_quote(locked, now=now)
        if quote.refusal is not None:
            raise quote.refusal
        before = locked.status
        locked.status = Status.LOCKED
        ledger_append(
            locked,
            kind=Kind.REFUND_REQUESTED,
            status_before=before,
            now=now,
            actor=actor or (Actor.owner(member) if member else None),
            reason=reason,
            idempotency_key=idempotency_key,
            data={"previous": before},
        )
        return RefundRequest.objects.create(
            voucher=locked,
            member=member,
            reason=fit_to_column(RefundRequest, "reason", reason),
            amount_twd=quote.amount_twd,
            created_at=now,
        )


def _pending_for_update(refund: RefundRequest, *, with_order: bool) -> tuple[RefundRequest, Voucher]:
    voucher = voucher_for_update(refund.voucher_id)
    locked = refund_request_for_update(refund.pk)
    if locked.status != RefundRequest.Status.PENDING:
        raise InvalidTransition(status=locked.get_status_display())
    if locked.in_order and not with_order:
        raise RefundDecidedWithOrder()
    require_status(voucher, Status.LOCKED)
    return locked, voucher


def refund_approve(
    *,
    refund: RefundRequest,
    actor: Actor,
    reason: str = "",
    with_order: bool = False,
    now: datetime | None = None,
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
    *, refund: RefundRequest, actor: Actor, reason: str, with_order: bool = False, now: datetime | None = None
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


def _decide(refund: RefundRequest, status: str, actor: Actor, reason: str, now: datetime) -> None:
    refund.status = status
    refund.decided_at = now
    refund.decided_by_id = actor.user_id if actor else None
    refund.decision_reason = fit_to_column(RefundRequest, "decision_reason", reason)
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
    *, voucher: Voucher, member: Member | None, reason: str = "", actor: Actor | None = None, now: datetime
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
        actor=actor or (Actor.owner(member) if member else None),
        reason=reason,
        data={"previous": before, "order": locked.order_id, "amount_twd": amount},
    )
    return RefundRequest.objects.create(
        voucher=locked,
        member=member,
        reason=fit_to_column(RefundRequest, "reason", reason),
        amount_twd=amount,
        created_at=now,
        in_order=True,
    )
