"""A mileage below the car's last reading refuses the whole redemption (one step, start, complete,
and over the partner API), unless the odometer was replaced and the reason given: the rule is
vehicles.mileage's, the redemption services only pass the reading on."""

import pytest

from redemption.models import Redemption
from redemption.services import redemption_complete, redemption_redeem, redemption_start
from tests.factories import DealerStaffFactory, DefinitionFactory, OwnedVehicleFactory, issue_voucher
from vehicles.exceptions import MileageBelowLast, OdometerReplacementReasonMissing
from vehicles.mileage import OdometerReplacement
from vehicles.models import MileageReading
from vouchers.models import LedgerEntry, Voucher

from .api_support import client_for, make_key, post, problem

pytestmark = pytest.mark.django_db
LAST = 13_201
NEW_ODOMETER = OdometerReplacement(reason="Instrument cluster replaced")


@pytest.fixture
def staff():
    return DealerStaffFactory()


@pytest.fixture
def vehicle():
    return OwnedVehicleFactory(last_mileage_km=LAST)


@pytest.fixture
def voucher(vehicle):
    return issue_voucher(DefinitionFactory(uses_per_voucher=3), vehicle=vehicle)


def unchanged(voucher: Voucher, vehicle) -> bool:
    voucher.refresh_from_db()
    vehicle.refresh_from_db()
    return (
        voucher.uses_left == 3
        and voucher.status == Voucher.Status.ACTIVE
        and not Redemption.objects.exists()
        and not voucher.ledger.exclude(kind=LedgerEntry.Kind.ISSUED).exists()
        and not MileageReading.objects.exists()
        and vehicle.last_mileage_km == LAST
    )


def redeem(voucher, vehicle, staff, **kwargs):
    return redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=staff.dealer,
        advisor=staff.user,
        idempotency_key=kwargs.pop("key", "k"),
        **kwargs,
    )


def test_redeeming_below_the_last_reading_is_refused_and_changes_nothing(voucher, vehicle, staff):
    with pytest.raises(MileageBelowLast):
        redeem(voucher, vehicle, staff, mileage_km=LAST - 1)

    assert unchanged(voucher, vehicle)


@pytest.mark.parametrize("km", [LAST, LAST + 1])
def test_redeeming_at_or_above_the_last_reading_is_accepted(voucher, vehicle, staff, km):
    redemption = redeem(voucher, vehicle, staff, mileage_km=km)

    assert redemption.mileage_km == km
    vehicle.refresh_from_db()
    assert vehicle.last_mileage_km == km


def test_redeeming_with_a_replaced_odometer_records_who_and_why(voucher, vehicle, staff):
    redemption = redeem(voucher, vehicle, staff, mileage_km=150, odometer_replacement=NEW_ODOMETER)

    reading = MileageReading.objects.get()
    assert (reading.km, reading.odometer_replaced, reading.replacement_reason) == (
        150,
        True,
        "Instrument cluster replaced",
    )
    assert (reading.recorded_by, reading.recorded_at) == (staff.user, redemption.completed_at)
    vehicle.refresh_from_db()
    assert vehicle.last_mileage_km == 150


def test_a_replacement_without_a_reason_is_refused(voucher, vehicle, staff):
    with pytest.raises(OdometerReplacementReasonMissing):
        redeem(voucher, vehicle, staff, mileage_km=150, odometer_replacement=OdometerReplacement(reason=" "))

    assert unchanged(voucher, vehicle)


def test_starting_a_service_below_the_last_reading_is_refused(voucher, vehicle, staff):
    with pytest.raises(MileageBelowLast):
        redemption_start(
            voucher=voucher, vehicle=vehicle, dealer=staff.dealer, idempotency_key="s", mileage_km=100
        )

    assert unchanged(voucher, vehicle)


def test_a_service_started_on_a_new_odometer_completes_against_that_baseline(voucher, vehicle, staff):
    hold = redemption_start(
        voucher=voucher,
        vehicle=vehicle,
        dealer=staff.dealer,
        advisor=staff.user,
        idempotency_key="s",
        mileage_km=100,
        odometer_replacement=NEW_ODOMETER,
    )
    vehicle.refresh_from_db()
    assert vehicle.last_mileage_km == 100

    completed = redemption_complete(redemption=hold, idempotency_key="c")

    assert completed.status == Redemption.Status.COMPLETED
    assert list(MileageReading.objects.values_list("km", "odometer_replaced")) == [(100, True), (100, False)]


def test_completing_below_the_last_reading_is_refused_and_the_service_stays_open(voucher, vehicle, staff):
    hold = redemption_start(
        voucher=voucher, vehicle=vehicle, dealer=staff.dealer, idempotency_key="s", mileage_km=LAST
    )

    with pytest.raises(MileageBelowLast):
        redemption_complete(redemption=hold, idempotency_key="c", mileage_km=LAST - 100)

    hold.refresh_from_db()
    voucher.refresh_from_db()
    assert (hold.status, hold.mileage_km) == (Redemption.Status.HELD, LAST)
    assert (voucher.status, voucher.uses_left) == (Voucher.Status.HELD, 3)
    assert not MileageReading.objects.exists()


# --- partner API ---------------------------------------------------------------------------------


@pytest.fixture
def partner():
    _api_key, plaintext = make_key("dms")
    return client_for(plaintext)


def api_redeem(partner, voucher, vehicle, staff, **body):
    url = f"/api/v1/vouchers/{voucher.code}/redeem"
    return post(partner, url, {"dealer": staff.dealer.code, "vin": vehicle.vin, **body})


def test_the_api_refuses_a_mileage_below_the_last_reading(partner, voucher, vehicle, staff):
    response = api_redeem(partner, voucher, vehicle, staff, mileage_km=LAST - 1)

    assert response.status_code == 409
    assert problem(response)["code"] == "mileage_below_last"
    assert unchanged(voucher, vehicle)


def test_the_api_takes_a_replaced_odometer_with_its_reason(partner, voucher, vehicle, staff):
    response = api_redeem(
        partner,
        voucher,
        vehicle,
        staff,
        mileage_km=150,
        odometer_replaced=True,
        odometer_replacement_reason="Instrument cluster replaced",
    )

    assert response.status_code == 200, response.content
    reading = MileageReading.objects.get()
    assert (reading.km, reading.odometer_replaced, reading.actor_label) == (150, True, "api:dms")


def test_the_api_refuses_a_replacement_without_a_reason(partner, voucher, vehicle, staff):
    response = api_redeem(partner, voucher, vehicle, staff, mileage_km=150, odometer_replaced=True)

    assert response.status_code == 400
    assert problem(response)["errors"][0]["code"] == "odometer_replacement_reason_missing"
    assert unchanged(voucher, vehicle)
