"""Demo loyalty: the programme's rules and tiers, points earned by the demo orders and visits, a few
manual adjustments, points about to expire and points that have, and tiers evaluated twice (two
months ago and tonight) so that the history shows joins and upgrades."""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model

from loyalty.dates import add_months
from loyalty.models import EarnRule, ExchangeOffer, PointsEntry, Programme, TierBenefit, TierLevel
from loyalty.services import (
    benefits_grant_all,
    exchange_cancel,
    points_adjust,
    points_credit,
    points_earn_for_order,
    points_earn_for_visit,
    points_exchange,
    points_expire_due,
    tiers_evaluate_all,
)
from members.actors import Actor
from members.models import Member
from redemption.models import Redemption
from vehicles.models import Ownership
from vouchers.models import Order

from .accounts import OPERATIONS_USER

DEMO = Actor.system("demo")
TIERS = [(1, "一般會員", 0, 0), (2, "銀卡", 3_000, 3), (3, "金卡", 10_000, 6), (4, "白金卡", 30_000, 12)]


def loyalty_seed(*, owners: list[Member], definitions: dict, now: datetime) -> None:
    Programme.objects.update_or_create(
        pk=1, defaults={"expiry_months": 24, "tier_measure": Programme.Measure.EITHER}
    )
    for rank, name, spend, visits in TIERS:
        TierLevel.objects.update_or_create(
            rank=rank, defaults={"name": name, "spend_twd": spend, "visits": visits}
        )
    EarnRule.objects.create(name="消費每 NT$100 得 1 點", kind=EarnRule.Kind.SPEND, points=1, per_twd=100)
    EarnRule.objects.create(name="回廠保養每次 50 點", kind=EarnRule.Kind.VISIT, points=50)
    EarnRule.objects.create(name="生日當月點數兩倍", kind=EarnRule.Kind.BIRTHDAY, multiplier_percent=200)
    EarnRule.objects.create(
        name="年終購物加碼 100 點",
        kind=EarnRule.Kind.BONUS,
        points=100,
        starts_on=(now - timedelta(days=30)).date(),
        ends_on=(now + timedelta(days=30)).date(),
    )
    for order in Order.objects.filter(paid_at__isnull=False).select_related("member").order_by("pk"):
        points_earn_for_order(order=order, now=order.paid_at)
    completed = Redemption.objects.filter(status=Redemption.Status.COMPLETED).order_by("pk")
    owner_of = dict(Ownership.objects.current().values_list("vehicle_id", "member_id"))
    members = {m.pk: m for m in Member.objects.filter(pk__in=set(owner_of.values()))}
    for redemption in completed[:300]:
        member = members.get(owner_of.get(redemption.vehicle_id))
        if member is not None and redemption.completed_at:
            points_earn_for_visit(
                member=member,
                vehicle_id=redemption.vehicle_id,
                on=redemption.completed_at.date(),
                source=f"redemption:{redemption.pk}",
                now=redemption.completed_at,
            )
    ops = get_user_model().objects.get(username=OPERATIONS_USER)
    first = owners[0]
    # Earned 23 months ago: about to expire. Earned 25 months ago: expired tonight.
    points_credit(
        member=first,
        kind=PointsEntry.Kind.BONUS,
        points=300,
        key="demo:expiring",
        actor=DEMO,
        reason="新車交車禮",
        now=add_months(now, -23) + timedelta(days=10),
    )
    points_credit(
        member=first,
        kind=PointsEntry.Kind.BONUS,
        points=120,
        key="demo:expired",
        actor=DEMO,
        reason="舊活動",
        now=add_months(now, -25),
    )
    points_expire_due(now=now)
    for member, points, reason in [
        (first, 500, "客訴補償：保養延誤"),
        (owners[1], 200, "車主活動參加獎勵"),
        (owners[2], 80, "系統異常補點"),
    ]:
        points_adjust(member=member, points=points, reason=reason, actor=Actor.operations(ops), now=now)
    gold = TierLevel.objects.get(rank=3)
    TierBenefit.objects.create(tier=gold, definition=definitions["vip-detailing"])
    tiers_evaluate_all(now=now - timedelta(days=60))
    tiers_evaluate_all(now=now)
    benefits_grant_all(now=now)
    # Points for vouchers in the claim centre: one exchange kept, one cancelled (points returned).
    wash = ExchangeOffer.objects.create(
        definition=definitions["birthday-wash"], points_price=300, per_member_limit=2
    )
    ExchangeOffer.objects.create(
        definition=definitions["vip-detailing"], points_price=1_500, per_member_limit=1
    )
    points_exchange(offer=wash, member=first, idempotency_key="demo-exchange-1", now=now)
    second = points_exchange(offer=wash, member=first, idempotency_key="demo-exchange-2", now=now)
    exchange_cancel(exchange=second, actor=Actor.owner(first), reason="改兌換其他票券", now=now)
