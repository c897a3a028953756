"""Small data sets for the report tests, each worked out by hand in the tests that use it.

Each uses its own dealers (codes differ) so that several can be combined (the export tests)."""

from datetime import date

import pytest

from campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignVoucher,
    EventIssuance,
    Notification,
    Segment,
)
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    VehicleFactory,
    VehicleModelFactory,
    pack,
    paid_definition,
)
from vouchers.models import Order, VoucherDefinition

from .world import at, issue, order, redeem, reverse, visit

Category = VoucherDefinition.Category


@pytest.fixture
def demand_world():
    a, b = DealerFactory(code="AAA", name="甲"), DealerFactory(code="BBB", name="乙")
    m1, m2 = VehicleModelFactory(), VehicleModelFactory()
    v1, v2, v3 = VehicleFactory(model=m1), VehicleFactory(model=m2), VehicleFactory(model=m1)
    wash = DefinitionFactory(category=Category.WASH, validity_days=365)
    coating = DefinitionFactory(category=Category.COATING, validity_days=365)

    def use(definition, vehicle, dealer, day, clock="10:00"):
        return redeem(
            issue(definition, vehicle=vehicle, when="2026-09-01"),
            vehicle=vehicle,
            dealer=dealer,
            when=day,
            clock=clock,
        )

    use(wash, v1, a, "2026-10-05")
    use(wash, v1, a, "2026-10-20")
    use(wash, v2, a, "2026-10-07")
    reverse(use(wash, v2, a, "2026-10-12"), when="2026-10-12")  # reversed: not demand
    use(coating, v3, b, "2026-10-08")
    use(wash, v1, a, "2026-11-02")
    use(wash, v3, b, "2026-11-01", clock="00:30")  # 2026-10-31 16:30 UTC: November in Taipei
    return a, b, m1


@pytest.fixture
def takeup_world():
    a = DealerFactory(code="TKA", name="丙")
    five = paid_definition(category=Category.WASH, uses_per_voucher=5)
    coating = paid_definition(category=Category.COATING, name="鍍膜券")
    bundle = pack(code="p5", name="五次洗車", price=3000, items=[(five, 1)])
    m1, m2 = MemberFactory(), MemberFactory()
    v1, v3 = VehicleFactory(selling_dealer=a), VehicleFactory(selling_dealer=a)

    def bought(member, vehicle, channel, day, amount, **kw):
        o = order(member=member, vehicle=vehicle, channel=channel, paid=day, amount=amount, **kw)
        definition = kw.get("definition") or five
        return issue(definition, member=member, vehicle=vehicle, order=o, when=day, source="bundle")

    o1 = bought(m1, v1, Order.Channel.ONLINE, "2026-10-01", 3000, bundle=bundle)
    redeem(o1, vehicle=v1, dealer=a, when="2026-10-04")
    redeem(o1, vehicle=v1, dealer=a, when="2026-10-10")
    bought(m1, v1, Order.Channel.COUNTER, "2026-10-15", 3000, bundle=bundle, dealer=a)  # repeat, unused
    o3 = bought(m2, v3, Order.Channel.API, "2026-10-20", 3000, bundle=bundle)
    redeem(o3, vehicle=v3, dealer=a, when="2026-10-30")
    o4 = bought(m2, v3, Order.Channel.PHONE, "2026-11-03", 800, definition=coating)
    redeem(o4, vehicle=v3, dealer=a, when="2026-11-03", clock="15:00")
    bought(m2, v3, Order.Channel.ONLINE, "2026-12-01", 3000, bundle=bundle)  # after the range
    return a, bundle


@pytest.fixture
def campaign_world():
    a = DealerFactory(code="CMA", name="戊")
    wash = DefinitionFactory(category=Category.WASH, validity_days=365)
    winback = DefinitionFactory(trigger_event=VoucherDefinition.TriggerEvent.NO_VISIT, validity_days=365)
    segment = Segment.objects.create(name="s")
    campaign = Campaign.objects.create(name="秋季洗車", segment=segment, definition=wash, status="completed")
    cars = [VehicleFactory(selling_dealer=a, delivery_date=date(2020, 1, 1)) for _ in range(3)]
    member = MemberFactory()
    vouchers = []
    for car in cars:
        voucher = issue(wash, vehicle=car, when="2026-09-01", source="campaign")
        recipient = CampaignRecipient.objects.create(
            campaign=campaign, vehicle=car, member=member, status="done"
        )
        CampaignVoucher.objects.create(campaign=campaign, recipient=recipient, voucher=voucher)
        vouchers.append(voucher)
    redeem(vouchers[0], vehicle=cars[0], dealer=a, when="2026-09-11")  # 10 days
    redeem(vouchers[1], vehicle=cars[1], dealer=a, when="2026-10-16")  # 45 days
    for n in range(2):
        Notification.objects.create(
            member=member,
            channel="sms",
            recipient="+886912345678",
            purpose="campaign",
            body="x",
            dedup_key=f"c{n}",
            status="sent",
            sent_at=at("2026-09-01"),
            campaign=campaign,
        )
    event = issue(winback, vehicle=cars[2], when="2026-09-05", source="event")
    redeem(event, vehicle=cars[2], dealer=a, when="2026-11-24")  # 80 days
    # New cars in September: two with care messages (one served on day 30), one without (served on day 200).
    cared = [VehicleFactory(selling_dealer=a, delivery_date=date(2026, 9, 2)) for _ in range(2)]
    plain = VehicleFactory(selling_dealer=a, delivery_date=date(2026, 9, 3))
    for car in cared:
        Notification.objects.create(
            member=member,
            channel="sms",
            recipient="+886912345678",
            purpose="lifecycle",
            template_key="new_car_care",
            body="x",
            dedup_key=f"care:{car.pk}:30",
            status="sent",
            sent_at=at("2026-10-02"),
        )
    visit(cared[0], a, "2026-10-02")
    visit(plain, a, "2027-03-22")
    return a


@pytest.fixture
def customer_world():
    a = DealerFactory(code="CUA", name="丁")
    wash = DefinitionFactory(category=Category.WASH, validity_days=365)
    v1 = VehicleFactory(selling_dealer=a, delivery_date=date(2025, 1, 1))
    v2 = VehicleFactory(selling_dealer=a, delivery_date=date(2026, 10, 10))
    v3 = VehicleFactory(selling_dealer=a, delivery_date=date(2024, 1, 1))
    v4 = VehicleFactory(selling_dealer=a, delivery_date=date(2024, 1, 1))
    visit(v1, a, "2026-03-01")
    visit(v1, a, "2026-10-05")
    redeem(issue(wash, vehicle=v1, when="2026-10-01"), vehicle=v1, dealer=a, when="2026-10-05")  # same day
    visit(v2, a, "2026-10-20")  # first service 10 days after delivery
    visit(v3, a, "2025-06-01")  # outside the 12 months to October
    EventIssuance.objects.create(
        key="wb", definition=wash, event="no_visit", vehicle=v4, status="issued", vouchers_issued=1
    )
    EventIssuance.objects.filter(key="wb").update(created_at=at("2026-10-03"))
    visit(v4, a, "2026-11-15")  # recovered within 90 days
    m1, m2 = MemberFactory(), MemberFactory()
    order(member=m1, vehicle=v1, channel="online", paid="2026-02-01", amount=1000, definition=wash)
    order(member=m1, vehicle=v1, channel="online", paid="2026-10-01", amount=1000, definition=wash)
    order(member=m2, vehicle=v2, channel="online", paid="2026-10-02", amount=1000, definition=wash)
    return a
