"""Packs in the back office: an item must be a voucher type that may be sold in a pack, or every
purchase of the pack would be refused when its order is approved."""

import pytest
from django.urls import reverse

from tests.factories import DefinitionFactory
from tests.factories.staff import staff_user, use_english
from vouchers.models import Bundle

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


def _add_pack(client, definition):
    return client.post(
        reverse("admin:vouchers_bundle_add"),
        {
            "code": "wash-pack",
            "name": "Wash pack",
            "description": "",
            "price_twd": "1200",
            "is_active": "on",
            "refund_fee_twd": "0",
            "items-TOTAL_FORMS": "1",
            "items-INITIAL_FORMS": "0",
            "items-0-definition": definition.pk,
            "items-0-quantity": "2",
        },
    )


def test_a_voucher_type_not_sold_in_packs_is_refused_on_the_form(client):
    client.force_login(staff_user("Operations"))
    response = _add_pack(client, DefinitionFactory(name="Free wash", channel_bundle=False))
    assert response.status_code == 200
    assert "is not sold in packs" in response.content.decode()
    assert not Bundle.objects.exists()


def test_a_pack_of_a_voucher_type_sold_in_packs_is_saved(client):
    client.force_login(staff_user("Operations"))
    definition = DefinitionFactory(kind="paid", validity_policy="no_expiry", channel_bundle=True)
    assert _add_pack(client, definition).status_code == 302
    assert Bundle.objects.get().items.get().definition == definition
