"""django-q2 tasks: thin interfaces that take ids and call services. Each is safe to run twice."""

from datetime import date

from django.utils import timezone

from members.models import Member
from redemption.models import Redemption
from vehicles.models import Ownership
from vouchers.models import Order

from . import services


def order_earn(order_id: int) -> int:
    order = Order.objects.select_related("member").filter(pk=order_id).first()
    entry = services.points_earn_for_order(order=order) if order is not None else None
    return entry.delta if entry else 0


def refund_reverse(order_id: int, refund_id: int, value_twd: int) -> int:
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return 0
    entry = services.points_reverse_for_refund(order=order, refund_id=refund_id, value_twd=value_twd)
    return entry.delta if entry else 0


def visit_earn(member_id: int, vehicle_id: int, on: str, source: str) -> int:
    member = Member.objects.filter(pk=member_id).first()
    if member is None:
        return 0
    entry = services.points_earn_for_visit(
        member=member, vehicle_id=vehicle_id, on=date.fromisoformat(on), source=source
    )
    return entry.delta if entry else 0


def redemption_earn(redemption_id: int) -> int:
    """A completed redemption is a visit of its car: its owner earns, once per vehicle and day."""
    redemption = Redemption.objects.filter(pk=redemption_id).values("vehicle_id", "completed_at").first()
    if redemption is None or redemption["completed_at"] is None:
        return 0
    owner_id = (
        Ownership.objects.current()
        .filter(vehicle_id=redemption["vehicle_id"])
        .values_list("member_id", flat=True)
        .first()
    )
    if owner_id is None:
        return 0
    on = timezone.localdate(redemption["completed_at"])
    return visit_earn(owner_id, redemption["vehicle_id"], on.isoformat(), f"redemption:{redemption_id}")


def redemption_reverse(redemption_id: int) -> int:
    entry = services.points_reverse_for_redemption(redemption_id=redemption_id)
    return entry.delta if entry else 0


def expire_points() -> int:
    return services.points_expire_due()


def evaluate_tiers() -> dict:
    return services.tiers_evaluate_all()


def exchange_voided(voucher_id: int) -> str:
    exchange = services.exchange_voided(voucher_id=voucher_id)
    return exchange.status if exchange else ""


def benefits_grant(account_id: int) -> int:
    return len(services.benefits_grant(account_id=account_id))


def grant_benefits() -> int:
    return services.benefits_grant_all()


def referral_reward(friend_id: int, trigger: str, ref_id: int) -> str:
    referral = services.referral_reward(friend_id=friend_id, trigger=trigger, ref_id=ref_id)
    return referral.status if referral is not None else ""
