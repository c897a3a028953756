"""The one rule for odometer readings (vehicles.mileage) and the service that records them: below
the car's last reading is refused unless the odometer was replaced, with a reason; a replacement
reading is recorded with who, when and why, and becomes the car's baseline."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone, translation

from tests.factories import UserFactory, VehicleFactory
from vehicles.exceptions import MileageBelowLast, OdometerReplacementReasonMissing
from vehicles.mileage import MileageRefusal, OdometerReplacement, mileage_refusal
from vehicles.models import MileageReading
from vehicles.services import vehicle_record_mileage

LAST = 13_201


@pytest.mark.parametrize(
    ("km", "replacement", "refusal"),
    [
        (LAST - 1, None, MileageRefusal.BELOW_LAST),
        (0, None, MileageRefusal.BELOW_LAST),
        (LAST, None, None),
        (LAST + 1, None, None),
        (150, OdometerReplacement(reason="Instrument cluster replaced"), None),
        (150, OdometerReplacement(reason=""), MileageRefusal.REPLACEMENT_REASON_MISSING),
        (150, OdometerReplacement(reason="   "), MileageRefusal.REPLACEMENT_REASON_MISSING),
        (LAST + 5, OdometerReplacement(reason=""), MileageRefusal.REPLACEMENT_REASON_MISSING),
    ],
)
def test_the_assessment(km, replacement, refusal):
    assert mileage_refusal(last_km=LAST, km=km, replacement=replacement) == refusal


@pytest.fixture
def car(db):
    return VehicleFactory(last_mileage_km=LAST, last_mileage_at=timezone.now() - timedelta(days=30))


def test_a_reading_below_the_last_is_refused_and_nothing_changes(car):
    with pytest.raises(MileageBelowLast) as refused:
        vehicle_record_mileage(vehicle=car, km=13_000, source="redemption")

    with translation.override("en"):
        assert "13,000 km is below this car's last reading of 13,201 km" in refused.value.message

    car.refresh_from_db()
    assert car.last_mileage_km == LAST
    assert not MileageReading.objects.exists()


@pytest.mark.parametrize("km", [LAST, LAST + 800])
def test_a_reading_equal_to_or_above_the_last_is_accepted(car, km):
    now = timezone.now()

    reading = vehicle_record_mileage(vehicle=car, km=km, source="redemption", now=now)

    car.refresh_from_db()
    assert (reading.km, reading.odometer_replaced, reading.replacement_reason) == (km, False, "")
    assert car.last_mileage_km == km


def test_a_replaced_odometer_is_recorded_with_who_when_why_and_becomes_the_baseline(car):
    advisor = UserFactory()
    now = timezone.now()

    reading = vehicle_record_mileage(
        vehicle=car,
        km=150,
        source="redemption",
        replacement=OdometerReplacement(reason="  Instrument cluster replaced  "),
        recorded_by=advisor,
        actor_label="advisor:lin",
        now=now,
    )

    reading.refresh_from_db()
    assert reading.odometer_replaced is True
    assert reading.replacement_reason == "Instrument cluster replaced"
    assert (reading.recorded_by, reading.actor_label, reading.recorded_at) == (advisor, "advisor:lin", now)
    car.refresh_from_db()
    assert (car.last_mileage_km, car.last_mileage_at) == (150, now)
    # The new odometer is the baseline: the next reading is checked against it.
    vehicle_record_mileage(vehicle=car, km=160, source="redemption")
    with pytest.raises(MileageBelowLast):
        vehicle_record_mileage(vehicle=car, km=149, source="redemption")


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_replacement_without_a_reason_is_refused(car, reason):
    with pytest.raises(OdometerReplacementReasonMissing):
        vehicle_record_mileage(
            vehicle=car, km=150, source="redemption", replacement=OdometerReplacement(reason=reason)
        )

    car.refresh_from_db()
    assert car.last_mileage_km == LAST
    assert not MileageReading.objects.exists()


def test_the_database_refuses_a_replacement_reading_without_a_reason(car):
    with pytest.raises(IntegrityError):
        MileageReading.objects.create(
            vehicle=car, km=1, recorded_at=timezone.now(), odometer_replaced=True, replacement_reason=""
        )
