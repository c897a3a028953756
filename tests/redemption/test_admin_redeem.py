"""Operations redeem a voucher on a dealer's behalf from the voucher's page."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from redemption.models import Redemption
from tests.factories import DealerFactory, DefinitionFactory, OwnedVehicleFactory, issue_voucher
from tests.factories.staff import staff_user, use_english
from vouchers.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-redeem")
    client.force_login(user)
    return user


def test_redeem_for_a_dealer_goes_through_the_service_and_is_audited(client, operator):
    dealer = DealerFactory()
    vehicle = OwnedVehicleFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=2), vehicle=vehicle)
    url = reverse("admin:redemption_redemption_redeem", args=[voucher.pk])
    form = client.get(url).context["form"]
    key = form["idempotency_key"].value()
    data = {
        "dealer": dealer.pk,
        "vehicle": vehicle.pk,
        "mileage_km": "12000",
        "work_order": "WO-1",
        "reason": "counter offline",
        "idempotency_key": key,
    }
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302  # a double submit replays the first redemption
    redemption = Redemption.objects.get()
    assert (redemption.channel, redemption.dealer, redemption.advisor) == ("admin", dealer, operator)
    voucher.refresh_from_db()
    assert voucher.uses_left == 1
    entry = LedgerEntry.objects.get(voucher=voucher, kind="redeemed")
    assert entry.reason == "counter offline" and entry.dealer == dealer
    assert LogEntry.objects.filter(
        object_id=str(voucher.pk), change_message__contains="counter offline"
    ).exists()


def test_the_hidden_idempotency_key_gets_no_visible_label(client, operator):
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    html = client.get(reverse("admin:redemption_redemption_redeem", args=[voucher.pk])).content.decode()
    assert 'type="hidden" name="idempotency_key"' in html
    assert 'for="id_idempotency_key"' not in html and "Idempotency key" not in html
    for field in ("dealer", "vehicle", "mileage_km", "work_order", "reason"):
        assert f'<label for="id_{field}"' in html


def test_a_refused_redemption_is_shown_on_the_form(client, operator):
    dealer, allowed = DealerFactory(), DealerFactory()
    definition = DefinitionFactory()
    definition.allowed_dealers.add(allowed)
    vehicle = OwnedVehicleFactory()
    voucher = issue_voucher(definition, vehicle=vehicle)
    url = reverse("admin:redemption_redemption_redeem", args=[voucher.pk])
    key = client.get(url).context["form"]["idempotency_key"].value()
    response = client.post(
        url, {"dealer": dealer.pk, "vehicle": vehicle.pk, "reason": "x", "idempotency_key": key}
    )
    assert response.status_code == 200
    assert "Not valid at this dealer" in str(response.context["form"].non_field_errors())
    assert not Redemption.objects.exists()
    voucher.refresh_from_db()
    assert voucher.uses_left == 1
