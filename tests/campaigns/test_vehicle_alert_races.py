"""Races against PostgreSQL: one alert id sent many times at once is one alert and one message.

Each thread uses (and closes) its own connection; a Barrier starts them together. The message is
written by the task enqueued after commit (run at once here), so the test commits for real.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import AlertVoucherGrant, AlertVoucherRule, Notification
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory
from tests.redemption.api_support import client_for, make_key
from tests.redemption.test_concurrency import errors, race, successes
from vehicles.exceptions import AlertIdConflict
from vehicles.models import VehicleAlert
from vehicles.services.alerts import alert_raise
from vouchers.models import Voucher

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_simultaneous_sends_of_one_alert_make_one_alert_one_message_one_voucher(q_sync):
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    rule = AlertVoucherRule.objects.create(
        kind="battery", min_severity="info", definition=DefinitionFactory()
    )
    raised_at = timezone.now() - timedelta(minutes=2)

    results = race(
        20,
        lambda i: alert_raise(
            vehicle=car,
            sender="car-cloud",
            sender_alert_id="BAT-77",
            kind="battery",
            severity="warning",
            raised_at=raised_at,
        ),
    )

    won = successes(results)
    assert len(won) == 20, errors(results)
    assert sum(created for _alert, created in won) == 1
    assert len({alert.pk for alert, _created in won}) == 1
    assert VehicleAlert.objects.count() == 1
    assert Notification.objects.filter(member=member, purpose=Notification.Purpose.VEHICLE_ALERT).count() == 1
    assert AlertVoucherGrant.objects.get(rule=rule).vouchers_issued == 1
    assert Voucher.objects.filter(vehicle=car).count() == 1


def test_one_alert_id_sent_for_different_cars_at_once_is_one_alert_and_conflicts():
    cars = [OwnedVehicleFactory() for _ in range(6)]
    raised_at = timezone.now() - timedelta(minutes=2)

    results = race(
        6,
        lambda i: alert_raise(
            vehicle=cars[i],
            sender="car-cloud",
            sender_alert_id="SAME",
            kind="oil_life",
            severity="info",
            raised_at=raised_at,
        ),
    )

    assert len(successes(results)) == 1
    assert all(isinstance(exc, AlertIdConflict) for exc in errors(results)), errors(results)
    assert VehicleAlert.objects.count() == 1


def test_simultaneous_api_replays_answer_one_201_and_200s(q_sync):
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    _key, plaintext = make_key("car-cloud", scopes=["telematics"])
    body = {
        "alert_id": "TPMS-9",
        "kind": "tyre_pressure",
        "severity": "critical",
        "raised_at": (timezone.now() - timedelta(minutes=1)).isoformat(),
    }

    results = race(
        10,
        lambda i: (
            client_for(plaintext).post(f"/api/v1/vehicles/{car.vin}/alerts", body, format="json").status_code
        ),
    )

    statuses = sorted(successes(results))
    assert statuses == [200] * 9 + [201], errors(results)
    assert VehicleAlert.objects.count() == 1
    assert Notification.objects.filter(member=member).count() == 1
