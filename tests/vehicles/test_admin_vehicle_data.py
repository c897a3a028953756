"""Back office: record a delivery, the transfer page lists the vouchers it will void, one timeline
per vehicle (ownerships, delivery, visits, mileage, vouchers, redemptions)."""

from datetime import date

import pytest
from django.urls import reverse

from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    issue_voucher,
)
from tests.factories.staff import staff_user, use_english
from vehicles.models import DataChange, Visit
from vehicles.services import Origin, visit_record
from vouchers.models import VoucherDefinition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-vehicle-data")
    client.force_login(user)
    return user


def test_record_delivery_from_the_back_office(client, operator):
    vehicle = VehicleFactory(delivery_date=None)
    url = reverse("admin:vehicles_vehicle_delivery", args=[vehicle.pk])

    response = client.post(url, {"delivery_date": "2026-01-05"})

    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.delivery_date == date(2026, 1, 5)
    change = DataChange.objects.get(vehicle=vehicle)
    assert (change.source, change.actor, change.new_value) == ("admin", operator, "2026-01-05")
    future = client.post(url, {"delivery_date": "2999-01-01"})
    assert "in the future" in str(future.context["form"].non_field_errors())


def test_the_transfer_page_lists_the_vouchers_it_will_void(client, operator):
    vehicle = OwnedVehicleFactory()
    owner = vehicle.ownerships.get().member
    benefit = issue_voucher(
        DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE, card_title="原車主保養"),
        vehicle=vehicle,
        member=owner,
    )
    issue_voucher(
        DefinitionFactory(holder_type=VoucherDefinition.HolderType.VEHICLE, card_title="洗車"),
        vehicle=vehicle,
    )

    page = client.get(reverse("admin:vehicles_vehicle_transfer", args=[vehicle.pk])).content.decode()

    assert "Vouchers that will be voided" in page
    assert benefit.code_display in page and "原車主保養" in page
    assert "洗車" not in page


def test_one_timeline_per_vehicle(client, operator):
    vehicle = OwnedVehicleFactory(delivery_date=date(2026, 1, 5))
    dealer = DealerFactory(name="內湖廠")
    visit_record(
        vehicle=vehicle,
        dealer=dealer,
        visited_on=date(2026, 3, 1),
        repair_order="RO-77",
        kind=Visit.Kind.REPAIR,
        mileage_km=12000,
        origin=Origin(source=Visit.Source.IMPORT, label="dms.csv"),
    )
    voucher = issue_voucher(DefinitionFactory(card_title="免費洗車"), vehicle=vehicle)
    redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="t1")

    response = client.get(reverse("admin:vehicles_vehicle_timeline", args=[vehicle.pk]))
    page = response.content.decode()

    assert response.status_code == 200
    for text in (
        "Owner from",
        "Delivered",
        "Workshop visit",
        "RO-77",
        "Mileage reading",
        "12,000 km",
        "Voucher issued",
        "免費洗車",
        "Redemption",
        "內湖廠",
    ):
        assert text in page, text
    assert page.count('data-testid="timeline-row"') == 6


def test_add_a_vehicle_through_the_upsert_service(client, operator):
    from tests.factories import VehicleModelFactory
    from vehicles.models import Vehicle

    model = VehicleModelFactory()
    VehicleFactory(plate="TAK-0001")
    url = reverse("admin:vehicles_vehicle_add")
    body = {"vin": "1hgcm82633a004352", "plate": "abc1234", "model": model.pk, "model_year": 2025}

    response = client.post(url, body)
    taken = client.post(url, {**body, "vin": "WBA5R1C00LF000099", "plate": "TAK0001"})

    vehicle = Vehicle.objects.get(vin="1HGCM82633A004352")
    assert response.url == reverse("admin:vehicles_vehicle_change", args=[vehicle.pk])
    assert (vehicle.plate, vehicle.model_year) == ("ABC-1234", 2025)
    assert "already on another vehicle" in str(taken.context["form"].non_field_errors())
    assert not Vehicle.objects.filter(vin="WBA5R1C00LF000099").exists()


def test_edit_vehicle_data_through_the_upsert_and_keep_each_change(client, operator):
    from django.contrib.admin.models import LogEntry

    from tests.factories import VehicleModelFactory

    vehicle = VehicleFactory(plate="OLD-0001", plate_key="OLD0001")
    VehicleFactory(plate="TAK-0002", plate_key="TAK0002")
    new_model = VehicleModelFactory(name="X7")
    url = reverse("admin:vehicles_vehicle_edit", args=[vehicle.pk])
    form = client.get(url).context["form"]
    assert form.initial["plate"] == "OLD-0001" and form.initial["model"] == vehicle.model_id

    saved = client.post(url, {"plate": "new 0001", "model": new_model.pk, "model_year": "2025"})
    again = client.post(url, {"plate": "NEW-0001", "model": new_model.pk, "model_year": "2025"})
    taken = client.post(url, {"plate": "TAK0002", "model": new_model.pk, "model_year": "2025"})

    assert saved.status_code == again.status_code == 302
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.model, vehicle.model_year) == ("NEW-0001", new_model, 2025)
    changes = {c.field: c for c in DataChange.objects.filter(vehicle=vehicle)}
    assert set(changes) == {"plate", "model_id", "model_year"}  # the same values again add nothing
    assert (changes["plate"].old_value, changes["plate"].new_value) == ("OLD-0001", "NEW-0001")
    assert {(c.source, c.actor) for c in changes.values()} == {("admin", operator)}
    assert LogEntry.objects.filter(object_id=str(vehicle.pk)).count() == 2
    assert "already on another vehicle" in str(taken.context["form"].non_field_errors())
    vehicle.refresh_from_db()
    assert vehicle.plate == "NEW-0001"


def test_the_change_form_does_not_edit_what_the_upsert_owns(client, operator):

    vehicle = VehicleFactory()
    page = client.get(reverse("admin:vehicles_vehicle_change", args=[vehicle.pk])).content.decode()
    assert reverse("admin:vehicles_vehicle_edit", args=[vehicle.pk]) in page
    assert reverse("admin:vehicles_vehicle_visit", args=[vehicle.pk]) in page
    assert 'name="model"' not in page and 'name="selling_dealer"' not in page


def test_record_a_workshop_visit_from_the_back_office(client, operator):
    from vehicles.models import MileageReading

    vehicle = OwnedVehicleFactory(last_mileage_km=10_000)
    dealer = DealerFactory(code="TPE09")
    url = reverse("admin:vehicles_vehicle_visit", args=[vehicle.pk])
    body = {
        "dealer": dealer.pk,
        "visited_on": "2026-03-02",
        "repair_order": "RO-77",
        "kind": "maintenance",
        "mileage_km": "12000",
    }

    first = client.post(url, body)
    again = client.post(url, body)
    lower = client.post(url, {**body, "repair_order": "RO-78", "mileage_km": "9000"})
    replaced = client.post(
        url, {**body, "repair_order": "RO-79", "mileage_km": "50", "odometer_replaced": "on"}
    )

    assert first.status_code == again.status_code == replaced.status_code == 302
    visits = {v.repair_order: v for v in Visit.objects.filter(vehicle=vehicle)}
    assert set(visits) == {"RO-77", "RO-79"}
    assert (visits["RO-77"].source, visits["RO-77"].kind, visits["RO-77"].mileage_km) == (
        "admin",
        "maintenance",
        12000,
    )
    assert "below" in str(lower.context["form"].non_field_errors())
    vehicle.refresh_from_db()
    assert vehicle.last_visit_at is not None and vehicle.last_mileage_km == 50
    assert MileageReading.objects.filter(vehicle=vehicle).count() == 2
    timeline = client.get(reverse("admin:vehicles_vehicle_timeline", args=[vehicle.pk])).content.decode()
    assert "RO-77" in timeline


def test_dealer_managers_only_view_vehicles_and_cannot_record_visits_or_edit(client):
    own = DealerFactory(code="OWN01")
    client.force_login(staff_user("Dealer manager", username="dealer-visits", dealer=own))
    vehicle = OwnedVehicleFactory(selling_dealer=own)
    body = {"dealer": own.pk, "visited_on": "2026-03-02", "repair_order": "R1", "kind": "repair"}

    visit = client.post(reverse("admin:vehicles_vehicle_visit", args=[vehicle.pk]), body)
    edit = client.post(reverse("admin:vehicles_vehicle_edit", args=[vehicle.pk]), {"plate": "ZZZ-9999"})

    assert visit.status_code == edit.status_code == 403
    assert not Visit.objects.exists() and not DataChange.objects.exists()
