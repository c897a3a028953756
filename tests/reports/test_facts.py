"""The summary tables: rebuilt from the ledger, kept current by the nightly job, and the only thing a
report page reads (no scan of the ledger, vouchers, redemptions or visits per page view)."""

from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.roles import OPERATIONS
from reports.models import DemandFact, FactRefresh, OrderFact, ServiceDay
from reports.registry import all_reports
from reports.tasks import refresh_report_facts
from tests.factories.staff import staff_user

from .world import issue, redeem, reverse

pytestmark = pytest.mark.django_db
SOURCE_TABLES = (
    "vouchers_ledgerentry",
    "vouchers_voucher",
    "redemption_redemption",
    "vehicles_visit",
    "vouchers_order",
)


def _snapshot():
    return (
        sorted(
            DemandFact.objects.values_list(
                "month", "dealer_id", "category", "model_id", "redemptions", "vehicles"
            )
        ),
        sorted(
            OrderFact.objects.values_list("order_id", "uses_consumed", "uses_left", "first_use_on", "repeat")
        ),
        sorted(ServiceDay.objects.values_list("vehicle_id", "day", "visits", "redemptions")),
    )


def test_rebuild_is_idempotent(demand_world, takeup_world):
    call_command("rebuild_report_facts", verbosity=0)
    first = _snapshot()
    call_command("rebuild_report_facts", verbosity=0)
    assert _snapshot() == first
    assert FactRefresh.objects.filter(kind="rebuild", finished_at__isnull=False).count() == 2


def test_the_nightly_job_brings_the_facts_up_to_date_like_a_rebuild(demand_world, takeup_world):
    a, _b, _m = demand_world
    call_command("rebuild_report_facts", verbosity=0)
    order_fact = OrderFact.objects.get(uses_consumed=0, repeat=True, channel="counter")
    # New since the rebuild: a redemption of the unused pack, a reversal, another wash.
    from vouchers.models import Voucher

    pack_voucher = Voucher.objects.get(order_id=order_fact.order_id)
    redeem(pack_voucher, vehicle=pack_voucher.vehicle, dealer=a, when="2026-11-20")
    car = pack_voucher.vehicle
    reverse(
        redeem(
            issue(demand_world_wash(), vehicle=car, when="2026-11-01"),
            vehicle=car,
            dealer=a,
            when="2026-11-21",
        ),
        when="2026-11-21",
    )
    refresh_report_facts()
    after_refresh = _snapshot()
    assert OrderFact.objects.get(pk=order_fact.pk).uses_consumed == 1
    call_command("rebuild_report_facts", verbosity=0)
    assert _snapshot() == after_refresh
    refresh_report_facts()
    assert _snapshot() == after_refresh  # a second run changes nothing


def demand_world_wash():
    from tests.factories import DefinitionFactory

    return DefinitionFactory(validity_days=365)


def test_the_first_nightly_run_rebuilds(demand_world):
    assert not FactRefresh.objects.exists()
    refresh_report_facts()
    assert FactRefresh.objects.get().kind == FactRefresh.Kind.REBUILD
    assert DemandFact.objects.exists()


def test_the_job_is_scheduled_nightly():
    from campaigns.schedules import JOBS

    job = next(j for j in JOBS if j.name == "refresh_report_facts")
    assert job.func == "reports.tasks.refresh_report_facts"
    assert job.cron == "45 3 * * *"


@pytest.mark.parametrize("slug", [r.slug for r in all_reports()])
def test_a_report_page_and_its_exports_read_only_the_summary_tables(client, demand_world, takeup_world, slug):
    call_command("rebuild_report_facts", verbosity=0)
    client.force_login(staff_user(OPERATIONS))
    for url in (
        f"/admin/reports/{slug}/",
        f"/admin/reports/{slug}/export.csv",
        f"/admin/reports/{slug}/export.xlsx",
    ):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 200
        read = " ".join(q["sql"] for q in queries.captured_queries)
        assert not [t for t in SOURCE_TABLES if f'"{t}"' in read], url


def test_the_page_says_when_the_figures_were_computed(client, demand_world):
    client.force_login(staff_user(OPERATIONS))
    assert "rebuild_report_facts" in client.get("/admin/reports/demand/").content.decode()
    call_command("rebuild_report_facts", verbosity=0)
    assert "數字截至" in client.get("/admin/reports/demand/").content.decode()


def test_a_month_is_counted_in_asia_taipei(demand_world):
    call_command("rebuild_report_facts", verbosity=0)
    november = DemandFact.objects.filter(month=date(2026, 11, 1), category="wash")
    assert sum(november.values_list("redemptions", flat=True)) == 2
