"""The data migration that records which API key made the redemptions partners made before."""

import importlib

import pytest
from django.apps import apps

from redemption.models import Redemption
from redemption.services import redemption_redeem
from tests.factories import DealerFactory, OwnedVehicleFactory, issue_voucher

from .api_support import make_key

pytestmark = pytest.mark.django_db
backfill = importlib.import_module("redemption.migrations.0008_redemption_api_key_backfill").backfill


def _redemption(label: str) -> Redemption:
    vehicle = OwnedVehicleFactory()
    redemption = redemption_redeem(
        voucher=issue_voucher(vehicle=vehicle),
        vehicle=vehicle,
        dealer=DealerFactory(),
        idempotency_key=label,
    )
    Redemption.objects.filter(pk=redemption.pk).update(actor_label=label, api_key=None)
    return redemption


def test_partner_redemptions_get_the_key_their_label_names():
    shop, _ = make_key("online-shop")
    dms, _ = make_key("dms")
    by_shop, by_dms = _redemption("api:online-shop"), _redemption("api:dms")
    by_advisor, by_deleted_key = _redemption("advisor:online-shop"), _redemption("api:gone")

    backfill(apps, None)

    keys = dict(Redemption.objects.values_list("pk", "api_key_id"))
    assert keys[by_shop.pk] == shop.pk
    assert keys[by_dms.pk] == dms.pk
    assert keys[by_advisor.pk] is None
    assert keys[by_deleted_key.pk] is None


def test_a_redemption_that_already_has_its_key_keeps_it():
    make_key("online-shop")
    dms, _ = make_key("dms")
    redemption = _redemption("api:online-shop")
    Redemption.objects.filter(pk=redemption.pk).update(api_key=dms)

    backfill(apps, None)

    assert Redemption.objects.get(pk=redemption.pk).api_key_id == dms.pk
