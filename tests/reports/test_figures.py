"""Each report's figures against a small data set worked out by hand (dates are Asia/Taipei)."""

from datetime import date

import pytest
from django.core.management import call_command

from campaigns.models import (
    Campaign,
    CampaignRecipient,
    CampaignVoucher,
    EventIssuance,
    Notification,
    Segment,
)
from members.roles import DEALER_MANAGER
from reports.query import ReportQuery
from reports.registry import get_report
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    VehicleFactory,
    VehicleModelFactory,
    pack,
    paid_definition,
)
from tests.factories.staff import staff_user
from vouchers.models import Order, VoucherDefinition

from .world import at, issue, order, redeem, reverse, visit

pytestmark = pytest.mark.django_db
Category = VoucherDefinition.Category


def _rows(slug, **query):
    call_command("rebuild_report_facts", verbosity=0)
    return get_report(slug).result(ReportQuery(**query)).rows


def _by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


# --- 1. demand by service category -----------------------------------------------------------------


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


def test_demand_counts_redemptions_and_distinct_vehicles_per_month_dealer_and_category(demand_world):
    rows = _rows("demand", start=date(2026, 10, 1), end=date(2026, 11, 30))
    got = {k: (r["redemptions"], r["vehicles"]) for k, r in _by(rows, "month", "dealer", "category").items()}
    assert got == {
        ("2026-10", "甲 (AAA)", "洗車"): (3, 2),
        ("2026-10", "乙 (BBB)", "鍍膜"): (1, 1),
        ("2026-11", "甲 (AAA)", "洗車"): (1, 1),
        ("2026-11", "乙 (BBB)", "洗車"): (1, 1),
    }


def test_demand_filters_by_dealer_category_and_model(demand_world):
    a, _b, m1 = demand_world
    rows = _rows("demand", start=date(2026, 10, 1), end=date(2026, 11, 30), dealer_id=a.pk, category="wash")
    assert [(r["month"], r["redemptions"], r["vehicles"]) for r in rows] == [
        ("2026-10", 3, 2),
        ("2026-11", 1, 1),
    ]
    rows = _rows("demand", start=date(2026, 10, 1), end=date(2026, 10, 31), dealer_id=a.pk, model_id=m1.pk)
    assert [(r["redemptions"], r["vehicles"]) for r in rows] == [(2, 1)]  # v2 is the other model


def test_demand_chart_is_the_monthly_trend_per_category(demand_world):
    call_command("rebuild_report_facts", verbosity=0)
    result = get_report("demand").result(ReportQuery(start=date(2026, 9, 1), end=date(2026, 11, 30)))
    series = {str(s.label): s.values for s in result.chart.series}
    assert result.chart.x_labels == ["2026-09", "2026-10", "2026-11"]
    assert series == {"洗車": [0, 3, 2], "鍍膜": [0, 1, 0]}


def test_a_dealer_manager_sees_only_their_dealers_demand(client, demand_world):
    a, b, _m = demand_world
    call_command("rebuild_report_facts", verbosity=0)
    client.force_login(staff_user(DEALER_MANAGER, dealer=b))
    page = client.get("/admin/reports/demand/", {"start": "2026-10-01", "end": "2026-11-30", "dealer": a.pk})
    assert {r["dealer"] for r in page.context["result"].rows} == {"乙 (BBB)"}
    assert "甲 (AAA)" not in page.content.decode()
    export = client.get("/admin/reports/demand/export.csv", {"start": "2026-10-01", "end": "2026-11-30"})
    assert "甲" not in export.content.decode("utf-8-sig")


# --- 2. take-up of packs and paid vouchers -----------------------------------------------------------


@pytest.fixture
def takeup_world():
    a = DealerFactory(code="AAA", name="甲")
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


def test_take_up_per_pack_and_paid_voucher(takeup_world):
    rows = _by(_rows("take-up", start=date(2026, 10, 1), end=date(2026, 11, 30)), "product")
    p = rows["套票：五次洗車"]
    assert (p["sold_online"], p["sold_counter"], p["sold_phone"], p["sold_api"], p["sold"]) == (1, 1, 0, 1, 3)
    assert (p["orders"], p["revenue"], p["consumed"], p["left"]) == (3, 9000, 3, 3 + 5 + 4)
    assert p["days_to_first_use"] == 6.5  # (3 + 10) / 2: the unused order has no first use
    assert p["never_used"] == 33.3  # 1 of 3
    assert p["repeat"] == 1
    v = rows["票券：鍍膜券"]
    assert (v["sold_phone"], v["sold"], v["revenue"], v["consumed"], v["left"]) == (1, 1, 800, 1, 0)
    assert (v["days_to_first_use"], v["never_used"], v["repeat"]) == (0.0, 0.0, 0)


def test_take_up_filters_by_channel_and_pack(takeup_world):
    _a, bundle = takeup_world
    rows = _rows("take-up", start=date(2026, 10, 1), end=date(2026, 11, 30), channel="online")
    assert [(r["product"], r["sold"]) for r in rows] == [("套票：五次洗車", 1)]
    rows = _rows("take-up", start=date(2026, 10, 1), end=date(2026, 12, 31), bundle_id=bundle.pk)
    assert [(r["sold"], r["repeat"]) for r in rows] == [(4, 2)]


def test_take_up_of_another_dealer_is_empty(takeup_world):
    other = DealerFactory()
    assert _rows("take-up", start=date(2026, 10, 1), end=date(2026, 11, 30), dealer_id=other.pk) == []


# --- 3. campaign and programme effect -----------------------------------------------------------------


@pytest.fixture
def campaign_world():
    a = DealerFactory(code="AAA", name="甲")
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


def test_campaign_and_programme_effect(campaign_world):
    rows = _by(_rows("campaign-effect", start=date(2026, 9, 1), end=date(2026, 10, 31)), "source")
    c = rows["活動：秋季洗車"]
    assert [
        c[k] for k in ("sent", "issued", "activated", "redeemed", "redeemed_30", "redeemed_60", "redeemed_90")
    ] == [2, 3, 3, 2, 1, 2, 2]
    assert c["redeemed_share"] == 66.7
    w = rows["計畫：久未回廠喚回"]
    assert [w[k] for k in ("issued", "redeemed", "redeemed_30", "redeemed_60", "redeemed_90")] == [
        1,
        1,
        0,
        0,
        1,
    ]
    assert rows["計畫：新車關懷訊息"]["sent"] == 2
    care = rows["收到 100 天關懷訊息的新車"]
    assert (care["delivered"], care["first_service"]) == (2, 50.0)
    plain = rows["未收到關懷訊息的新車（對照）"]
    assert (plain["delivered"], plain["first_service"]) == (1, 0.0)


def test_messages_are_not_shown_per_dealer(campaign_world):
    call_command("rebuild_report_facts", verbosity=0)
    result = get_report("campaign-effect").result(
        ReportQuery(start=date(2026, 9, 1), end=date(2026, 10, 31), dealer_id=campaign_world.pk)
    )
    assert {r["sent"] for r in result.rows} == {None}
    assert result.notes


# --- 4. customer KPIs ---------------------------------------------------------------------------------


@pytest.fixture
def customer_world():
    a = DealerFactory(code="AAA", name="甲")
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


def test_customer_kpis_for_a_month(customer_world):
    rows = _rows("customer-kpis", start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert len(rows) == 1
    r = rows[0]
    assert (r["month"], r["dealer"], r["vehicles"]) == ("2026-10", "甲 (AAA)", 4)
    assert r["per_vehicle"] == 0.75  # 3 service days (v1 twice, v2 once) / 4 vehicles
    assert (r["visits_12m"], r["redemptions_12m"]) == (3, 1)
    assert (r["churned"], r["churn"]) == (2, 50.0)  # v3 and v4
    assert r["repurchase"] == 50.0  # m1 bought twice, m2 once
    assert (r["delivered"], r["first_service"]) == (1, 100.0)
    assert (r["winback_targets"], r["winback"]) == (1, 100.0)


def test_customer_kpis_next_month_count_the_recovered_car(customer_world):
    rows = _rows("customer-kpis", start=date(2026, 11, 1), end=date(2026, 11, 30))
    r = rows[0]
    assert (r["churned"], r["churn"]) == (1, 25.0)  # only v3 now
    assert r["delivered"] == 0 and r["first_service"] is None
