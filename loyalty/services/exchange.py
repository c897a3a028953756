"""Points for vouchers: the debit and the voucher in one transaction; a cancellation returns both.

Locks: the member's points account first (per-member limit and balance), then the vouchers app
locks the definition (stock, its own per-holder limit). A refusal anywhere rolls everything back.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from members.actors import Actor
from members.models import Member
from vouchers.models import Voucher
from vouchers.services import voucher_issue, voucher_void

from ..exceptions import ExchangeNotCancellable
from ..exchange import exchange_refusals
from ..models import Exchange, ExchangeOffer, PointsEntry
from .ledger import _locked, points_debit_locked, points_return


def points_exchange(
    *, offer: ExchangeOffer, member: Member, idempotency_key: str, now: datetime | None = None
) -> Exchange:
    now = now or timezone.now()
    actor = Actor.owner(member)
    with transaction.atomic():
        account = _locked(member, now)
        earlier = Exchange.objects.filter(idempotency_key=idempotency_key, account=account).first()
        if earlier is not None:
            return earlier
        offer = ExchangeOffer.objects.select_related("definition").get(pk=offer.pk)
        used = Exchange.objects.filter(account=account, offer=offer, status=Exchange.Status.DONE).count()
        refusals = exchange_refusals(offer, balance=account.balance, used=used)
        if refusals:
            raise refusals[0]
        entry = points_debit_locked(
            account,
            points=offer.points_price,
            actor=actor,
            kind=PointsEntry.Kind.EXCHANGED,
            data={"offer": offer.pk, "definition": offer.definition.code},
            now=now,
        )
        vouchers = voucher_issue(
            definition=offer.definition,
            source=Voucher.Source.POINTS,
            member=member,
            actor=actor,
            reason=f"points:{offer.points_price}",
            idempotency_key=f"points-exchange:{account.pk}:{idempotency_key}",
            now=now,
        )
        return Exchange.objects.create(
            offer=offer,
            account=account,
            entry=entry,
            voucher=vouchers[0],
            idempotency_key=idempotency_key,
            created_at=now,
        )


def exchange_cancel(
    *, exchange: Exchange, actor: Actor, reason: str, now: datetime | None = None
) -> Exchange:
    """Cancel an exchange whose voucher is unused: the voucher is voided, the points come back."""
    now = now or timezone.now()
    with transaction.atomic():
        _locked(exchange.account.member_id, now)
        locked = Exchange.objects.select_for_update().select_related("voucher").get(pk=exchange.pk)
        if not locked.cancellable:
            raise ExchangeNotCancellable()
        voucher_void(voucher=locked.voucher, reason=reason, actor=actor, now=now)
        return _settle(locked, actor=actor, reason=reason, now=now)


def exchange_voided(*, voucher_id: int, now: datetime | None = None) -> Exchange | None:
    """Operations voided an exchanged voucher (not through `exchange_cancel`): give the points back."""
    now = now or timezone.now()
    exchange = Exchange.objects.filter(voucher_id=voucher_id).select_related("account").first()
    if exchange is None:
        return None
    with transaction.atomic():
        _locked(exchange.account.member_id, now)
        locked = Exchange.objects.select_for_update().get(pk=exchange.pk)
        if locked.status != Exchange.Status.DONE:
            return locked
        return _settle(locked, actor=Actor.system("voucher-voided"), reason="", now=now)


def _settle(exchange: Exchange, *, actor: Actor, reason: str, now: datetime) -> Exchange:
    points_return(
        entry=exchange.entry, actor=actor, key=f"exchange-cancelled:{exchange.pk}", reason=reason, now=now
    )
    exchange.status, exchange.cancelled_at = Exchange.Status.CANCELLED, now
    exchange.save(update_fields=["status", "cancelled_at"])
    return exchange
