"""vehicles.services: registration, ownership transfer, drivers, mileage, delivery."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles import signals
from vehicles.exceptions import AlreadyOwner, DuplicateVehicle, InvalidPlate, InvalidVin
from vehicles.models import AuthorisedDriver, MileageReading, Ownership, Vehicle
from vehicles.selectors import member_can_use_vehicle, vehicle_current_owner, vehicles_of_member
from vehicles.services import (
    vehicle_authorise_driver,
    vehicle_mark_delivered,
    vehicle_record_mileage,
    vehicle_register,
    vehicle_revoke_driver,
    vehicle_transfer_ownership,
)
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition
from vouchers.selectors import ledger_drift
from vouchers.services import voucher_lock, voucher_void

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-Hant."""
    with translation.override("en"):
        yield


VIN = "1HGCM82633A004352"
EUROPEAN_VIN = "WVWZZZ1JZXW000001"
Holder = VoucherDefinition.HolderType


@pytest.fixture
def received():
    """Collect the domain events the vehicles app announces during a test."""
    events = []

    def bound(sender, **kwargs):
        events.append(("bound", kwargs))

    def delivered(sender, **kwargs):
        events.append(("delivered", kwargs))

    signals.vehicle_bound.connect(bound, dispatch_uid="test-bound")
    signals.vehicle_delivered.connect(delivered, dispatch_uid="test-delivered")
    yield events
    signals.vehicle_bound.disconnect(dispatch_uid="test-bound")
    signals.vehicle_delivered.disconnect(dispatch_uid="test-delivered")


# --- vehicle_register --------------------------------------------------------------------------


def test_register_normalises_identifiers_and_creates_the_first_ownership(received):
    owner = MemberFactory()
    model = VehicleModelFactory()
    now = timezone.now()

    vehicle = vehicle_register(
        vin=VIN.lower(), plate="abc1234", model=model, owner=owner, delivery_date=date(2024, 5, 1), now=now
    )

    vehicle.refresh_from_db()
    assert vehicle.vin == VIN
    assert vehicle.vin_check_digit_ok is True
    assert vehicle.plate == "ABC-1234"
    assert vehicle.plate_key == "ABC1234"
    assert vehicle.model == model
    assert vehicle.delivery_date == date(2024, 5, 1)
    ownership = Ownership.objects.get(vehicle=vehicle)
    assert ownership.member == owner
    assert ownership.is_first_owner is True
    assert ownership.ended_at is None
    assert ownership.started_at == now
    assert vehicle_current_owner(vehicle) == owner
    assert [(kind, kw["member"], kw["role"]) for kind, kw in received] == [("bound", owner, "owner")]


def test_register_without_owner_creates_no_ownership_and_announces_nothing(received):
    vehicle = vehicle_register(vin=VIN, plate="ABC-1234", model=VehicleModelFactory())

    assert not Ownership.objects.filter(vehicle=vehicle).exists()
    assert received == []


def test_register_keeps_a_european_vin_with_its_warning():
    vehicle = vehicle_register(vin=EUROPEAN_VIN, plate="AB-1234", model=VehicleModelFactory())

    vehicle.refresh_from_db()
    assert vehicle.vin_check_digit_ok is False


def test_register_records_the_initial_mileage():
    now = timezone.now()

    vehicle = vehicle_register(
        vin=VIN, plate="ABC-1234", model=VehicleModelFactory(), mileage_km=1200, now=now
    )

    vehicle.refresh_from_db()
    assert vehicle.last_mileage_km == 1200
    assert vehicle.last_mileage_at == now
    assert list(MileageReading.objects.filter(vehicle=vehicle).values_list("km", "source")) == [
        (1200, "register")
    ]


@pytest.mark.parametrize(
    ("vin", "plate", "error"), [("NOT-A-VIN", "ABC-1234", InvalidVin), (VIN, "???", InvalidPlate)]
)
def test_register_refuses_bad_identifiers(vin, plate, error):
    with pytest.raises(error):
        vehicle_register(vin=vin, plate=plate, model=VehicleModelFactory())

    assert Vehicle.objects.count() == 0


def test_register_refuses_the_same_vin():
    vehicle_register(vin=VIN, plate="ABC-1234", model=VehicleModelFactory())

    with pytest.raises(DuplicateVehicle):
        vehicle_register(vin=VIN.lower(), plate="XYZ-9999", model=VehicleModelFactory())

    assert Vehicle.objects.count() == 1


@pytest.mark.parametrize("other_spelling", ["abc1234", "ABC–1234", "ＡＢＣ－１２３４", "abc 1234"])
def test_register_refuses_the_same_plate_in_another_spelling(other_spelling):
    owner = MemberFactory()
    vehicle_register(vin=VIN, plate="ABC-1234", model=VehicleModelFactory())

    with pytest.raises(DuplicateVehicle):
        vehicle_register(vin=EUROPEAN_VIN, plate=other_spelling, model=VehicleModelFactory(), owner=owner)

    assert Vehicle.objects.count() == 1
    assert not Ownership.objects.filter(member=owner).exists()


# --- vehicle_transfer_ownership ----------------------------------------------------------------


def test_transfer_ends_the_old_ownership_and_starts_the_new_one():
    seller, buyer = MemberFactory(), MemberFactory()
    vehicle = OwnedVehicleFactory(owner=seller)
    now = timezone.now() + timedelta(minutes=1)

    ownership = vehicle_transfer_ownership(vehicle=vehicle, new_owner=buyer, now=now)

    old = Ownership.objects.get(vehicle=vehicle, member=seller)
    assert old.ended_at == now
    assert ownership.member == buyer
    assert ownership.ended_at is None
    assert ownership.started_at == now
    assert ownership.is_first_owner is False
    assert vehicle_current_owner(vehicle) == buyer
    assert Ownership.objects.current().filter(vehicle=vehicle).count() == 1
    assert list(vehicles_of_member(buyer)) == [vehicle]
    assert list(vehicles_of_member(seller)) == []


def test_transfer_of_an_unowned_vehicle_makes_a_first_owner():
    vehicle = VehicleFactory()
    buyer = MemberFactory()

    ownership = vehicle_transfer_ownership(vehicle=vehicle, new_owner=buyer)

    assert ownership.is_first_owner is True
    assert vehicle_current_owner(vehicle) == buyer


def test_transfer_revokes_the_previous_owners_drivers():
    seller, buyer, driver = MemberFactory(), MemberFactory(), MemberFactory()
    vehicle = OwnedVehicleFactory(owner=seller)
    vehicle_authorise_driver(vehicle=vehicle, member=driver)
    assert member_can_use_vehicle(driver.pk, vehicle.pk)
    now = timezone.now() + timedelta(minutes=1)

    vehicle_transfer_ownership(vehicle=vehicle, new_owner=buyer, now=now)

    assert not member_can_use_vehicle(driver.pk, vehicle.pk)
    assert AuthorisedDriver.objects.get(vehicle=vehicle, member=driver).ended_at == now


def test_transfer_to_the_current_owner_is_refused_and_changes_nothing():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)

    with pytest.raises(AlreadyOwner):
        vehicle_transfer_ownership(vehicle=vehicle, new_owner=owner)

    assert Ownership.objects.filter(vehicle=vehicle).count() == 1
    assert Ownership.objects.get(vehicle=vehicle).ended_at is None


def test_transfer_voids_first_owner_vouchers_with_a_ledger_entry_and_reason():
    seller, buyer = MemberFactory(), MemberFactory()
    vehicle = OwnedVehicleFactory(owner=seller)
    benefit = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE)
    active = issue_voucher(benefit, member=seller, vehicle=vehicle)
    inactive = issue_voucher(
        DefinitionFactory(
            holder_type=Holder.MEMBER_VEHICLE, activation_mode=VoucherDefinition.ActivationMode.HOLDER
        ),
        member=seller,
        vehicle=vehicle,
    )
    locked = issue_voucher(benefit, member=seller, vehicle=vehicle)
    voucher_lock(voucher=locked, reason="dispute")

    vehicle_transfer_ownership(vehicle=vehicle, new_owner=buyer, reason="sold to a used-car dealer")

    for voucher in (active, inactive, locked):
        voucher.refresh_from_db()
        assert voucher.status == Voucher.Status.VOIDED
        entry = voucher.ledger.order_by("pk").last()
        assert entry.kind == LedgerEntry.Kind.VOIDED
        assert entry.status_after == Voucher.Status.VOIDED
        assert entry.actor_label == "system:ownership"
        assert "首任車主權益終止" in entry.reason  # stored in the installation language
        assert "sold to a used-car dealer" in entry.reason
    assert ledger_drift().count() == 0


def test_transfer_leaves_vehicle_held_vouchers_active_for_the_new_owner():
    seller, buyer = MemberFactory(), MemberFactory()
    vehicle = OwnedVehicleFactory(owner=seller)
    voucher = issue_voucher(DefinitionFactory(holder_type=Holder.VEHICLE), vehicle=vehicle)
    entries_before = voucher.ledger.count()

    vehicle_transfer_ownership(vehicle=vehicle, new_owner=buyer)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE
    assert voucher.vehicle == vehicle
    assert voucher.ledger.count() == entries_before
    assert ledger_drift().count() == 0


def test_transfer_leaves_member_held_vouchers_with_the_member():
    seller, buyer = MemberFactory(), MemberFactory()
    vehicle = OwnedVehicleFactory(owner=seller)
    voucher = issue_voucher(DefinitionFactory(holder_type=Holder.MEMBER), member=seller)

    vehicle_transfer_ownership(vehicle=vehicle, new_owner=buyer)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE
    assert voucher.member == seller
    assert voucher.vehicle is None
    assert ledger_drift().count() == 0


def test_transfer_does_not_touch_first_owner_vouchers_of_other_cars_or_closed_ones():
    seller, buyer = MemberFactory(), MemberFactory()
    sold, kept = OwnedVehicleFactory(owner=seller), OwnedVehicleFactory(owner=seller)
    benefit = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE)
    on_kept_car = issue_voucher(benefit, member=seller, vehicle=kept)
    already_voided = issue_voucher(benefit, member=seller, vehicle=sold)
    voucher_void(voucher=already_voided, reason="issued by mistake")
    entries_before = already_voided.ledger.count()

    vehicle_transfer_ownership(vehicle=sold, new_owner=buyer)

    on_kept_car.refresh_from_db()
    assert on_kept_car.status == Voucher.Status.ACTIVE
    assert already_voided.ledger.count() == entries_before
    assert ledger_drift().count() == 0


# --- drivers -----------------------------------------------------------------------------------


def test_authorising_a_driver_twice_keeps_one_authorisation():
    vehicle, driver = OwnedVehicleFactory(), MemberFactory()

    first = vehicle_authorise_driver(vehicle=vehicle, member=driver)
    second = vehicle_authorise_driver(vehicle=vehicle, member=driver)

    assert first.pk == second.pk
    assert AuthorisedDriver.objects.filter(vehicle=vehicle, member=driver).count() == 1
    assert list(vehicles_of_member(driver)) == [vehicle]


def test_revoking_a_driver_ends_access():
    vehicle, driver = OwnedVehicleFactory(), MemberFactory()
    vehicle_authorise_driver(vehicle=vehicle, member=driver)

    assert vehicle_revoke_driver(vehicle=vehicle, member=driver) == 1
    assert vehicle_revoke_driver(vehicle=vehicle, member=driver) == 0
    assert not member_can_use_vehicle(driver.pk, vehicle.pk)


# --- vehicle_record_mileage --------------------------------------------------------------------


def test_mileage_rises_with_a_higher_reading():
    vehicle = VehicleFactory(last_mileage_km=10_000)
    now = timezone.now()

    reading = vehicle_record_mileage(vehicle=vehicle, km=12_500, source="counter", now=now)

    assert (reading.km, reading.source, reading.recorded_at) == (12_500, "counter", now)
    vehicle.refresh_from_db()
    assert vehicle.last_mileage_km == 12_500
    assert vehicle.last_mileage_at == now


def test_negative_mileage_is_refused():
    vehicle = VehicleFactory()

    with pytest.raises(ValueError):
        vehicle_record_mileage(vehicle=vehicle, km=-1, source="counter")

    assert not MileageReading.objects.filter(vehicle=vehicle).exists()


# --- vehicle_mark_delivered --------------------------------------------------------------------


def test_mark_delivered_sets_the_date_and_announces_it_once(received):
    vehicle = VehicleFactory(delivery_date=None)

    vehicle_mark_delivered(vehicle=vehicle, delivery_date=date(2025, 1, 15))
    vehicle_mark_delivered(vehicle=vehicle, delivery_date=date(2025, 1, 16))  # a correction

    vehicle.refresh_from_db()
    assert vehicle.delivery_date == date(2025, 1, 16)
    delivered = [kw["vehicle"].pk for kind, kw in received if kind == "delivered"]
    assert delivered == [vehicle.pk]
