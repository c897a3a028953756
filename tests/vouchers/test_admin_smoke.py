"""Every back-office page an operator opens renders (a regression net for templates and URLs)."""

import pytest
from django.urls import reverse

from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher
from tests.factories.staff import staff_user

pytestmark = pytest.mark.django_db

CHANGELISTS = [
    "vouchers_voucherdefinition",
    "vouchers_voucher",
    "vouchers_ledgerentry",
    "vouchers_refundrequest",
    "vouchers_issuebatch",
    "vouchers_bundle",
    "vouchers_order",
    "vehicles_vehicle",
    "vehicles_vehiclemodel",
    "vehicles_bindingrequest",
    "members_member",
    "members_dealer",
    "members_dealerstaff",
    "redemption_redemption",
    "campaigns_segment",
    "django_q_schedule",
    "django_q_failure",
    "django_q_success",
    "django_q_ormq",
]


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-smoke")
    client.force_login(user)
    return user


@pytest.mark.parametrize("name", CHANGELISTS)
def test_operations_open_every_list(client, operator, name):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    assert voucher.pk
    response = client.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200, name


def test_operations_open_object_pages(client, operator):
    definition = DefinitionFactory()
    vehicle = OwnedVehicleFactory()
    voucher = issue_voucher(definition, vehicle=vehicle)
    pages = [
        reverse("admin:index"),
        reverse("admin:vouchers_voucherdefinition_change", args=[definition.pk]),
        reverse("admin:vouchers_voucher_change", args=[voucher.pk]),
        reverse("admin:vehicles_vehicle_change", args=[vehicle.pk]),
        reverse("admin:vehicles_vehicle_transfer", args=[vehicle.pk]),
        reverse("admin:vouchers_voucher_action", args=[voucher.pk, "void"]),
        reverse("admin:vouchers_voucher_action", args=[voucher.pk, "extend"]),
        reverse("admin:redemption_redemption_redeem", args=[voucher.pk]),
        reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk]),
        reverse("admin:vouchers_voucherdefinition_wizard_new"),
        reverse("admin:vouchers_voucherdefinition_wizard", args=[definition.pk, 1]),
        reverse("admin:vouchers_voucherdefinition_review", args=[definition.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
