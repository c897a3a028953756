"""The counter's vehicle page shows the car's open alerts; an advisor closes one with a reason."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory, raise_alert
from vehicles.models import VehicleAlert

from .test_vehicle_page import MAX_VEHICLE_PAGE_QUERIES

pytestmark = pytest.mark.django_db


def _page(vehicle) -> str:
    return reverse("counter:vehicle", args=[vehicle.pk])


def _said(response) -> str:
    """The messages the last request left (earlier, unread ones included)."""
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def _close_url(alert) -> str:
    return reverse("counter:alert_close", args=[alert.vehicle_id, alert.pk])


def test_open_alerts_show_on_the_vehicle_page_most_severe_first(counter, vehicle):
    raise_alert(vehicle, alert_id="1", kind="battery", severity="warning", message="11.6 V")
    raise_alert(vehicle, alert_id="2", kind="warning_lamp", severity="critical", message="Engine lamp")
    closed = raise_alert(vehicle, alert_id="3", kind="oil_life", severity="info")
    closed_by_other = VehicleAlert.objects.filter(pk=closed.pk)
    closed_by_other.update(status="closed", closed_at=timezone.now(), closed_by="advisor")
    body = counter.get(_page(vehicle)).content.decode()
    assert 'data-testid="alerts"' in body
    assert body.count('data-testid="alert"') == 2
    assert body.index("Engine lamp") < body.index("11.6 V")
    assert "Oil life" not in body


def test_a_car_without_open_alerts_shows_no_alert_panel(counter, vehicle):
    assert 'data-testid="alerts"' not in counter.get(_page(vehicle)).content.decode()


def test_the_page_with_alerts_costs_one_query_more_than_without(
    counter, vehicle, django_assert_max_num_queries
):
    for n in range(5):
        raise_alert(vehicle, alert_id=str(n), raised_at=timezone.now() - timedelta(minutes=n + 1))
    counter.get(_page(vehicle))
    with django_assert_max_num_queries(MAX_VEHICLE_PAGE_QUERIES + 1):
        assert counter.get(_page(vehicle)).status_code == 200


def test_an_advisor_closes_an_alert_with_a_reason(counter, vehicle, advisor, dealer):
    alert = raise_alert(vehicle)
    response = counter.post(_close_url(alert), {"reason": "Pressure set to 2.4 bar"})
    assert response.status_code == 302 and response.url.endswith("#alerts")
    alert.refresh_from_db()
    assert (alert.status, alert.closed_by, alert.closed_by_user, alert.closed_at_dealer) == (
        "closed",
        "advisor",
        advisor,
        dealer,
    )
    assert alert.close_reason == "Pressure set to 2.4 bar"
    assert "Alert closed" in _said(response)


def test_closing_without_a_reason_is_refused(counter, vehicle):
    alert = raise_alert(vehicle)
    response = counter.post(_close_url(alert), {"reason": "  "})
    alert.refresh_from_db()
    assert alert.is_open
    assert "reason" in _said(response)


def test_closing_a_closed_alert_is_refused(counter, vehicle):
    alert = raise_alert(vehicle)
    counter.post(_close_url(alert), {"reason": "checked"})
    response = counter.post(_close_url(alert), {"reason": "again"})
    assert "already closed" in _said(response)
    alert.refresh_from_db()
    assert alert.close_reason == "checked"


def test_an_alert_of_another_car_is_404(counter, vehicle):
    from tests.factories import VehicleFactory

    alert = raise_alert(VehicleFactory())
    response = counter.post(reverse("counter:alert_close", args=[vehicle.pk, alert.pk]), {"reason": "x"})
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.is_open


def test_only_counter_staff_may_close(client, vehicle):
    alert = raise_alert(vehicle)
    client.force_login(UserFactory())
    assert client.post(_close_url(alert), {"reason": "x"}).status_code == 403
    client.logout()
    assert client.post(_close_url(alert), {"reason": "x"}).status_code == 302  # to the sign-in page
    alert.refresh_from_db()
    assert alert.is_open


def test_closing_needs_post(counter, vehicle):
    alert = raise_alert(vehicle)
    assert counter.get(_close_url(alert)).status_code == 405
