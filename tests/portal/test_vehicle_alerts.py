"""The owner's vehicle page shows the car's open alerts (none of another car, none closed)."""

import pytest
from django.urls import reverse

from tests.factories import OwnedVehicleFactory, raise_alert
from vehicles.services.alerts import alert_close

from .test_vehicle_pages import MAX_WALLET_QUERIES

pytestmark = pytest.mark.django_db


def test_open_alerts_show_on_the_cars_page(car, other, owner_client):
    raise_alert(car, alert_id="1", kind="battery", severity="critical", message="Battery at 11.2 V")
    closed = raise_alert(car, alert_id="2", kind="oil_life", message="Oil life 3 %")
    alert_close(alert=closed, advisor=None, reason="changed")
    raise_alert(OwnedVehicleFactory(owner=other), alert_id="3", message="Someone else's car")
    body = owner_client.get(reverse("portal:vehicle", args=[car.pk])).content.decode()
    assert 'id="alerts"' in body and body.count('data-testid="alert"') == 1
    assert "Battery at 11.2 V" in body and "Critical" in body
    assert "Oil life 3 %" not in body and "Someone else" not in body
    # The section offers the booking form for this car, for a check of what it reported.
    assert f"/portal/bookings/new/?vehicle={car.pk}&amp;service=maintenance" in body


def test_a_car_without_open_alerts_has_no_alert_section_and_no_extra_query(
    owner, car, owner_client, django_assert_max_num_queries
):
    url = reverse("portal:vehicle", args=[car.pk])
    owner_client.get(url)
    with django_assert_max_num_queries(MAX_WALLET_QUERIES):
        body = owner_client.get(url).content.decode()
    assert 'id="alerts"' not in body


def test_the_page_with_alerts_costs_one_query_more(car, owner_client, django_assert_max_num_queries):
    for n in range(4):
        raise_alert(car, alert_id=str(n))
    url = reverse("portal:vehicle", args=[car.pk])
    owner_client.get(url)
    with django_assert_max_num_queries(MAX_WALLET_QUERIES + 1):
        assert owner_client.get(url).status_code == 200
