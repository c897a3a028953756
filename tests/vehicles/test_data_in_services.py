"""vehicles.services for data from other systems: upserts with a change log, delivery, owners, visits."""

from datetime import date, timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    UserFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles import signals
from vehicles.exceptions import (
    DateInFuture,
    MileageBelowLast,
    OwnershipDateInvalid,
    PlateTaken,
    RepairOrderTaken,
)
from vehicles.models import DataChange, MileageReading, Ownership, Vehicle, Visit
from vehicles.services import (
    Origin,
    local_start,
    owner_upsert,
    vehicle_owner_set,
    vehicle_record_delivery,
    vehicle_upsert,
    visit_record,
)
from vouchers.models import Voucher, VoucherDefinition

pytestmark = pytest.mark.django_db

VIN = "1HGCM82633A004352"
FILE = Origin(source=Visit.Source.IMPORT, label="dms.csv")
Holder = VoucherDefinition.HolderType


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def delivered():
    events = []

    def on_delivered(sender, **kwargs):
        events.append(kwargs["vehicle"].pk)

    signals.vehicle_delivered.connect(on_delivered, dispatch_uid="test-data-in-delivered")
    yield events
    signals.vehicle_delivered.disconnect(dispatch_uid="test-data-in-delivered")


@pytest.fixture
def visits_seen():
    events = []

    def on_visit(sender, **kwargs):
        events.append(kwargs["visit"].repair_order)

    signals.visit_recorded.connect(on_visit, dispatch_uid="test-data-in-visit")
    yield events
    signals.visit_recorded.disconnect(dispatch_uid="test-data-in-visit")


# --- vehicle_upsert ------------------------------------------------------------------------------


def test_upsert_creates_then_changes_nothing_on_the_same_values(delivered):
    model, dealer = VehicleModelFactory(), DealerFactory()
    values = dict(vin=VIN, plate="abc1234", model=model, model_year=2025, delivery_date=date(2026, 1, 5))

    vehicle, changed = vehicle_upsert(**values, selling_dealer=dealer, origin=FILE)
    again, changed_again = vehicle_upsert(**values, selling_dealer=dealer, origin=FILE)

    assert changed is True and changed_again is False
    assert again.pk == vehicle.pk
    assert (vehicle.plate, vehicle.model_year, vehicle.selling_dealer) == ("ABC-1234", 2025, dealer)
    assert delivered == [vehicle.pk]
    assert not DataChange.objects.exists()


def test_upsert_keeps_each_changed_value_with_who_when_and_file(delivered):
    vehicle = VehicleFactory(vin=VIN, plate="ABC-1234", delivery_date=None, model_year=2024)
    user = UserFactory()
    now = timezone.now()

    _v, changed = vehicle_upsert(
        vin=VIN,
        plate="ABC-1235",
        model=vehicle.model,
        model_year=2025,
        delivery_date=date(2026, 1, 5),
        origin=Origin(source=Visit.Source.IMPORT, label="crm.xlsx", actor=user),
        now=now,
    )

    assert changed is True
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.plate_key, vehicle.model_year) == ("ABC-1235", "ABC1235", 2025)
    log = {c.field: (c.old_value, c.new_value) for c in DataChange.objects.filter(vehicle=vehicle)}
    assert log == {
        "plate": ("ABC-1234", "ABC-1235"),
        "model_year": ("2024", "2025"),
        "delivery_date": ("", "2026-01-05"),
    }
    change = DataChange.objects.first()
    assert (change.source_label, change.actor, change.changed_at) == ("crm.xlsx", user, now)
    assert delivered == [vehicle.pk]


def test_upsert_without_a_delivery_date_keeps_the_stored_one():
    vehicle = VehicleFactory(vin=VIN, plate="ABC-1234", delivery_date=date(2026, 1, 5))

    _v, changed = vehicle_upsert(vin=VIN, plate="ABC-1234", model=vehicle.model, origin=FILE)

    vehicle.refresh_from_db()
    assert changed is False
    assert vehicle.delivery_date == date(2026, 1, 5)


def test_upsert_refuses_a_plate_on_another_vin():
    other = VehicleFactory(plate="ABC-1234")

    with pytest.raises(PlateTaken) as refused:
        vehicle_upsert(vin=VIN, plate="ABC1234", model=VehicleModelFactory(), origin=FILE)

    assert other.vin in refused.value.message
    assert not Vehicle.objects.filter(vin=VIN).exists()


def test_upsert_refuses_a_delivery_date_in_the_future():
    with pytest.raises(DateInFuture):
        vehicle_upsert(
            vin=VIN,
            plate="ABC-1234",
            model=VehicleModelFactory(),
            delivery_date=timezone.localdate() + timedelta(days=1),
            origin=FILE,
        )

    assert not Vehicle.objects.exists()


# --- delivery ------------------------------------------------------------------------------------


def test_recording_the_same_delivery_again_changes_nothing_and_announces_once(delivered):
    vehicle = VehicleFactory(delivery_date=None)

    first = vehicle_record_delivery(vehicle=vehicle, delivery_date=date(2026, 2, 1), origin=FILE)
    second = vehicle_record_delivery(vehicle=vehicle, delivery_date=date(2026, 2, 1), origin=FILE)
    corrected = vehicle_record_delivery(vehicle=vehicle, delivery_date=date(2026, 2, 2), origin=FILE)

    assert (first, second, corrected) == (True, False, True)
    assert delivered == [vehicle.pk]
    assert DataChange.objects.filter(vehicle=vehicle, field="delivery_date").count() == 2


# --- owners --------------------------------------------------------------------------------------


def test_owner_upsert_creates_a_member_without_inventing_consent():
    member, created = owner_upsert(phone="0912-345-678", name="王小明", origin=FILE)

    assert created is True
    assert member.phone == "+886912345678"
    assert (member.consent_service, member.consent_marketing) == (False, False)


def test_owner_upsert_logs_changes_and_never_erases_with_blanks():
    member = MemberFactory(phone="+886912345678", name="王小明", email="old@example.com")

    _m, changed = owner_upsert(phone="0912345678", name="王大明", email="", origin=FILE)
    _m, again = owner_upsert(phone="0912345678", name="王大明", origin=FILE)

    member.refresh_from_db()
    assert (changed, again) == (True, False)
    assert (member.name, member.email) == ("王大明", "old@example.com")
    assert list(DataChange.objects.values_list("entity", "field", "old_value", "new_value")) == [
        ("member", "name", "王小明", "王大明")
    ]


def test_owner_from_a_date_transfers_with_the_existing_rules():
    seller, buyer = MemberFactory(), MemberFactory()
    vehicle = OwnedVehicleFactory(owner=seller)
    Ownership.objects.filter(vehicle=vehicle).update(started_at=local_start(date(2024, 1, 1)))
    first_owner_benefit = issue_voucher(
        DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE), member=seller, vehicle=vehicle
    )
    car_benefit = issue_voucher(DefinitionFactory(holder_type=Holder.VEHICLE), vehicle=vehicle)

    changed = vehicle_owner_set(vehicle=vehicle, member=buyer, since=date(2026, 3, 1), origin=FILE)
    again = vehicle_owner_set(vehicle=vehicle, member=buyer, since=date(2026, 3, 1), origin=FILE)

    assert (changed, again) == (True, False)
    current = Ownership.objects.current().get(vehicle=vehicle)
    assert (current.member, current.started_at, current.is_first_owner) == (
        buyer,
        local_start(date(2026, 3, 1)),
        False,
    )
    assert Ownership.objects.get(vehicle=vehicle, member=seller).ended_at == local_start(date(2026, 3, 1))
    first_owner_benefit.refresh_from_db()
    car_benefit.refresh_from_db()
    assert first_owner_benefit.status == Voucher.Status.VOIDED
    assert car_benefit.status != Voucher.Status.VOIDED


def test_owner_from_a_date_before_the_current_ownership_is_refused():
    vehicle = OwnedVehicleFactory()
    Ownership.objects.filter(vehicle=vehicle).update(started_at=local_start(date(2026, 1, 1)))

    with pytest.raises(OwnershipDateInvalid):
        vehicle_owner_set(vehicle=vehicle, member=MemberFactory(), since=date(2025, 12, 31), origin=FILE)

    assert Ownership.objects.filter(vehicle=vehicle).count() == 1


def test_owner_from_a_future_date_is_refused():
    with pytest.raises(DateInFuture):
        vehicle_owner_set(
            vehicle=VehicleFactory(),
            member=MemberFactory(),
            since=timezone.localdate() + timedelta(days=1),
            origin=FILE,
        )


# --- visits --------------------------------------------------------------------------------------


def visit(vehicle, dealer, **kwargs):
    kwargs.setdefault("visited_on", date(2026, 3, 1))
    kwargs.setdefault("repair_order", "RO-1")
    kwargs.setdefault("kind", Visit.Kind.MAINTENANCE)
    return visit_record(vehicle=vehicle, dealer=dealer, origin=FILE, **kwargs)


def test_a_visit_updates_last_visit_and_mileage_and_is_announced_once(visits_seen):
    vehicle, dealer = VehicleFactory(), DealerFactory()

    first, changed = visit(vehicle, dealer, mileage_km=15000)
    again, changed_again = visit(vehicle, dealer, mileage_km=15000)

    vehicle.refresh_from_db()
    assert (changed, changed_again, again.pk) == (True, False, first.pk)
    assert vehicle.last_visit_at == local_start(date(2026, 3, 1))
    assert vehicle.last_mileage_km == 15000
    assert list(MileageReading.objects.filter(vehicle=vehicle).values_list("km", "source")) == [
        (15000, "visit")
    ]
    assert visits_seen == ["RO-1"]


def test_an_older_visit_does_not_move_the_last_visit_back():
    vehicle, dealer = VehicleFactory(), DealerFactory()
    visit(vehicle, dealer, repair_order="RO-2", visited_on=date(2026, 3, 1))

    visit(vehicle, dealer, repair_order="RO-1", visited_on=date(2026, 1, 1))

    vehicle.refresh_from_db()
    assert vehicle.last_visit_at == local_start(date(2026, 3, 1))


def test_a_changed_visit_is_logged():
    vehicle, dealer = VehicleFactory(), DealerFactory()
    visit(vehicle, dealer, kind=Visit.Kind.REPAIR)

    _v, changed = visit(vehicle, dealer, kind=Visit.Kind.BODYWORK)

    assert changed is True
    assert list(DataChange.objects.values_list("entity", "field", "old_value", "new_value")) == [
        ("visit", "kind", "repair", "bodywork")
    ]


def test_a_mileage_below_the_last_reading_is_refused_whole():
    vehicle, dealer = VehicleFactory(), DealerFactory()
    visit(vehicle, dealer, repair_order="RO-1", mileage_km=20000, visited_on=date(2026, 2, 1))

    with pytest.raises(MileageBelowLast):
        visit(vehicle, dealer, repair_order="RO-2", mileage_km=19000, visited_on=date(2026, 3, 1))

    assert not Visit.objects.filter(repair_order="RO-2").exists()
    assert MileageReading.objects.filter(vehicle=vehicle).count() == 1


def test_an_odometer_replacement_accepts_a_lower_reading_and_bounds_later_ones():
    vehicle, dealer = VehicleFactory(), DealerFactory()
    visit(vehicle, dealer, repair_order="RO-1", mileage_km=20000, visited_on=date(2026, 2, 1))

    visit(
        vehicle,
        dealer,
        repair_order="RO-2",
        mileage_km=10,
        odometer_replaced=True,
        visited_on=date(2026, 3, 1),
    )
    visit(vehicle, dealer, repair_order="RO-3", mileage_km=500, visited_on=date(2026, 3, 5))

    vehicle.refresh_from_db()
    assert vehicle.last_mileage_km == 500
    with pytest.raises(MileageBelowLast):
        visit(vehicle, dealer, repair_order="RO-4", mileage_km=100, visited_on=date(2026, 3, 6))


def test_a_repair_order_of_another_vehicle_is_refused():
    dealer = DealerFactory()
    visit(VehicleFactory(), dealer)

    with pytest.raises(RepairOrderTaken):
        visit(VehicleFactory(), dealer)


def test_the_same_repair_order_number_at_another_dealer_is_another_visit():
    vehicle = VehicleFactory()
    visit(vehicle, DealerFactory())
    visit(vehicle, DealerFactory())

    assert Visit.objects.filter(vehicle=vehicle).count() == 2


def test_a_visit_in_the_future_is_refused():
    with pytest.raises(DateInFuture):
        visit(VehicleFactory(), DealerFactory(), visited_on=timezone.localdate() + timedelta(days=1))

    assert not Visit.objects.exists()
