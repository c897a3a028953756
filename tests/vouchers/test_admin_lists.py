"""Admin lists stay fast with a million vouchers: constant queries, no unbounded count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.admin.tools import CappedCountPaginator
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, issue_voucher
from tests.factories.staff import staff_user
from vouchers.models import Voucher, VoucherDefinition

pytestmark = pytest.mark.django_db


def fill(n):
    vehicle_definition = DefinitionFactory(uses_per_voucher=3)
    member_definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER)
    for i in range(n):
        if i % 2:
            issue_voucher(vehicle_definition, vehicle=OwnedVehicleFactory())
        else:
            issue_voucher(member_definition, member=MemberFactory())


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return captured.captured_queries


@pytest.mark.parametrize(
    "name",
    [
        "vouchers_voucher",
        "vouchers_ledgerentry",
        "redemption_redemption",
        "vouchers_refundrequest",
        "vehicles_vehicle",
    ],
)
def test_list_queries_do_not_grow_with_rows(client, name):
    client.force_login(staff_user("Operations"))
    url = reverse(f"admin:{name}_changelist")
    fill(3)
    few = len(queries_for(client, url))
    fill(30)
    many = queries_for(client, url)
    assert len(many) == few, [q["sql"] for q in many]


def test_voucher_and_ledger_lists_never_count_the_whole_table(client):
    client.force_login(staff_user("Operations"))
    fill(3)
    for name in ("vouchers_voucher", "vouchers_ledgerentry"):
        sql = [q["sql"] for q in queries_for(client, reverse(f"admin:{name}_changelist"))]
        counts = [s for s in sql if "COUNT(" in s.upper()]
        assert counts, name
        # Every count is over a LIMITed subquery (the cap), never a bare COUNT(*) of the table.
        assert all("LIMIT" in s.upper() for s in counts), counts


def test_filtered_lists_stay_constant_too(client, django_assert_max_num_queries):
    client.force_login(staff_user("Operations"))
    fill(20)
    url = (
        reverse("admin:vouchers_voucher_changelist")
        + "?status__exact=active&definition__kind__exact=complimentary"
    )
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_paginator_caps_the_count(monkeypatch):
    fill(6)
    monkeypatch.setattr(CappedCountPaginator, "count_cap", 4)
    paginator = CappedCountPaginator(Voucher.objects.order_by("pk"), 2)
    assert paginator.count == 4
    assert paginator.num_pages == 2
    assert CappedCountPaginator(Voucher.objects.filter(status="used"), 2).count == 0
