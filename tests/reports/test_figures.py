"""Each report's figures against a small data set worked out by hand (dates are Asia/Taipei)."""

from datetime import date

import pytest
from django.core.management import call_command

from members.roles import DEALER_MANAGER
from reports.query import ReportQuery
from reports.registry import get_report
from tests.factories import (
    DealerFactory,
)
from tests.factories.staff import staff_user
from vouchers.models import VoucherDefinition

pytestmark = pytest.mark.django_db
Category = VoucherDefinition.Category


def _rows(slug, **query):
    call_command("rebuild_report_facts", verbosity=0)
    return get_report(slug).result(ReportQuery(**query)).rows


def _by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


# --- 1. demand by service category -----------------------------------------------------------------


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


def test_customer_kpis_for_a_month(customer_world):
    rows = _rows("customer-kpis", start=date(2026, 10, 1), end=date(2026, 10, 31))
    assert len(rows) == 1
    r = rows[0]
    assert (r["month"], r["dealer"], r["vehicles"]) == ("2026-10", "丁 (CUA)", 4)
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
