"""Events of lower apps that earn or take back points (connected in LoyaltyConfig.ready).

The receivers run inside the sender's transaction, so they only enqueue a task after commit: a
failure to earn must never roll back a payment, a refund, a visit or a redemption. Every task is
keyed on its event, so a second run changes nothing.
"""

from django.db import transaction
from django.dispatch import receiver
from django_q.tasks import async_task

from redemption import signals as redemption_signals
from redemption.models import Redemption
from shop import signals as shop_signals
from vehicles import signals as vehicle_signals
from vehicles.models import Ownership, Vehicle
from vouchers import signals as voucher_signals
from vouchers.models import Order, Voucher

from . import tasks
from .models import Referral


def _later(func: str, *args) -> None:
    transaction.on_commit(lambda: async_task(func, *args))


def _owner_id(vehicle_id: int) -> int | None:
    return (
        Ownership.objects.current().filter(vehicle_id=vehicle_id).values_list("member_id", flat=True).first()
    )


@receiver(shop_signals.order_paid, sender=Order, dispatch_uid="loyalty.order_paid")
def on_order_paid(sender, *, order, now, **kwargs):
    _later("loyalty.tasks.order_earn", order.pk)


@receiver(shop_signals.order_refunded, sender=Order, dispatch_uid="loyalty.order_refunded")
def on_order_refunded(sender, *, order, refund, now, **kwargs):
    _later("loyalty.tasks.refund_reverse", order.pk, refund.pk, refund.value_twd)


@receiver(vehicle_signals.visit_recorded, sender=Vehicle, dispatch_uid="loyalty.visit_recorded")
def on_visit_recorded(sender, *, vehicle, visit, now, **kwargs):
    owner = _owner_id(vehicle.pk)
    if owner is not None:
        _later(
            "loyalty.tasks.visit_earn", owner, vehicle.pk, visit.visited_on.isoformat(), f"visit:{visit.pk}"
        )


@receiver(
    redemption_signals.redemption_committed, sender=Redemption, dispatch_uid="loyalty.redemption_committed"
)
def on_redemption_committed(sender, *, redemption_id, **kwargs):
    # In the worker after the commit: the redeem transaction is a hot path (issue 15).
    tasks.redemption_earn(redemption_id)


@receiver(
    redemption_signals.redemption_reversed, sender=Redemption, dispatch_uid="loyalty.redemption_reversed"
)
def on_redemption_reversed(sender, *, redemption, **kwargs):
    _later("loyalty.tasks.redemption_reverse", redemption.pk)


@receiver(voucher_signals.voucher_voided, sender=Voucher, dispatch_uid="loyalty.voucher_voided")
def on_voucher_voided(sender, *, voucher, **kwargs):
    """A voucher bought with points and voided in the back office gives the points back."""
    if voucher.source == Voucher.Source.POINTS:
        _later("loyalty.tasks.exchange_voided", voucher.pk)


# --- referrals: the friend's first car or first paid purchase rewards both, once --------------------


def _referral_pending(member_id: int) -> bool:
    # One indexed read in the sender's transaction, so the many members who were never referred cost
    # no task.
    return Referral.objects.filter(friend_id=member_id, status=Referral.Status.PENDING).exists()


@receiver(vehicle_signals.vehicle_bound, sender=Vehicle, dispatch_uid="loyalty.referral_vehicle_bound")
def on_vehicle_bound(sender, *, vehicle, member, role, now, **kwargs):
    if role == "owner" and _referral_pending(member.pk):
        _later("loyalty.tasks.referral_reward", member.pk, Referral.Trigger.VEHICLE.value, vehicle.pk)


@receiver(shop_signals.order_paid, sender=Order, dispatch_uid="loyalty.referral_order_paid")
def on_order_paid_referral(sender, *, order, now, **kwargs):
    if order.amount_twd > 0 and _referral_pending(order.member_id):
        _later("loyalty.tasks.referral_reward", order.member_id, Referral.Trigger.ORDER.value, order.pk)
