"""Partner API, scope `vehicles`: vehicles, deliveries, owners and workshop visits from DMS / CRM."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles.models import DataChange, Ownership, Vehicle, Visit
from vehicles.services import local_start
from vouchers.models import Voucher, VoucherDefinition

from .api_support import client_for, make_key, post, problem

pytestmark = pytest.mark.django_db
VIN = "1HGCM82633A004352"


@pytest.fixture
def dms():
    _key, plaintext = make_key("dms", scopes=["vehicles"])
    return client_for(plaintext)


def put(client, vin, body, **extra):
    return client.put(f"/api/v1/vehicles/{vin}", body, format="json", **extra)


def test_put_creates_then_updates_then_changes_nothing(dms):
    VehicleModelFactory(code="RAV4")
    dealer = DealerFactory(code="TPE01")
    body = {"plate": "abc1234", "model": "rav4", "model_year": 2025, "dealer": "TPE01"}

    created = put(dms, VIN.lower(), body)
    updated = put(dms, VIN, {**body, "plate": "ABC-1235"})
    again = put(dms, VIN, {**body, "plate": "ABC-1235"})

    assert (created.status_code, updated.status_code, again.status_code) == (201, 200, 200)
    assert created.json()["plate"] == "ABC-1234" and created.json()["selling_dealer"] == dealer.code
    assert updated.json()["plate"] == "ABC-1235"
    change = DataChange.objects.get()
    assert (change.field, change.old_value, change.new_value, change.source, change.source_label) == (
        "plate",
        "ABC-1234",
        "ABC-1235",
        "api",
        "api:dms",
    )


def test_put_refusals_are_problems(dms):
    VehicleModelFactory(code="RAV4")
    VehicleFactory(plate="TAK-0001")

    assert (
        problem(put(dms, "not-a-vin", {"plate": "ABC-1234", "model": "RAV4"}))["code"] == "validation_error"
    )
    assert (
        problem(put(dms, VIN, {"plate": "ABC-1234", "model": "Nope"}))["errors"][0]["code"] == "unknown_model"
    )
    assert problem(put(dms, VIN, {"plate": "TAK0001", "model": "RAV4"}))["code"] == "plate_taken"
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    future = put(dms, VIN, {"plate": "ABC-1234", "model": "RAV4", "delivery_date": tomorrow})
    assert problem(future)["code"] == "validation_error"
    assert not Vehicle.objects.filter(vin=VIN).exists()


def test_the_vehicles_scope_is_required():
    _key, plaintext = make_key("shop", scopes=["read", "issue", "redeem"])

    response = put(client_for(plaintext), VIN, {"plate": "ABC-1234", "model": "RAV4"})

    assert problem(response)["code"] == "permission_denied"


def test_delivery_issues_the_delivery_event_once(dms, monkeypatch, django_capture_on_commit_callbacks):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    gift = DefinitionFactory(
        trigger_event=VoucherDefinition.TriggerEvent.VEHICLE_DELIVERED,
        channel_event=True,
        holder_type=VoucherDefinition.HolderType.VEHICLE,
    )
    car = VehicleFactory(vin=VIN, delivery_date=None)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = post(dms, f"/api/v1/vehicles/{VIN}/delivery", {"delivery_date": "2026-01-05"})
        assert response.status_code == 200

    car.refresh_from_db()
    assert car.delivery_date == date(2026, 1, 5)
    assert Voucher.objects.filter(definition=gift, vehicle=car).count() == 1
    assert (
        problem(post(dms, "/api/v1/vehicles/WBA5R1C00LF000099/delivery", {"delivery_date": "2026-01-05"}))[
            "code"
        ]
        == "vehicle_not_found"
    )


def test_ownership_transfers_with_its_rules_and_replays_with_the_same_key(dms):
    seller = MemberFactory()
    car = OwnedVehicleFactory(vin=VIN, owner=seller)
    Ownership.objects.filter(vehicle=car).update(started_at=local_start(date(2025, 1, 1)))
    benefit = issue_voucher(
        DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE), member=seller, vehicle=car
    )
    body = {"phone": "0933-111-222", "name": "新車主", "since": "2026-02-01"}

    first = post(dms, f"/api/v1/vehicles/{VIN}/ownership", body, key="own-1")
    replay = post(dms, f"/api/v1/vehicles/{VIN}/ownership", body, key="own-1")
    again = post(dms, f"/api/v1/vehicles/{VIN}/ownership", body)

    assert first.json() == {"vin": VIN, "owner_since": "2026-02-01", "changed": True}
    assert replay["Idempotent-Replayed"] == "true"
    assert again.json()["changed"] is False
    benefit.refresh_from_db()
    assert benefit.status == Voucher.Status.VOIDED
    owner = Ownership.objects.current().get(vehicle=car).member
    assert (owner.phone, owner.consent_marketing) == ("+886933111222", False)
    early = post(dms, f"/api/v1/vehicles/{VIN}/ownership", {"phone": "0933-111-333", "since": "2025-06-01"})
    assert problem(early)["code"] == "ownership_date_invalid"


def test_visits_record_once_and_refuse_a_lower_mileage(dms):
    car = VehicleFactory(vin=VIN)
    DealerFactory(code="TPE01")
    body = {
        "vin": VIN,
        "dealer": "TPE01",
        "date": "2026-03-01",
        "repair_order": "RO-1",
        "kind": "maintenance",
        "mileage_km": 15000,
    }

    created = post(dms, "/api/v1/visits", body)
    again = post(dms, "/api/v1/visits", body)
    lower = post(
        dms, "/api/v1/visits", {**body, "repair_order": "RO-2", "date": "2026-03-02", "mileage_km": 100}
    )
    replaced = post(
        dms,
        "/api/v1/visits",
        {**body, "repair_order": "RO-2", "date": "2026-03-02", "mileage_km": 100, "odometer_replaced": True},
    )

    assert (created.status_code, again.status_code, replaced.status_code) == (201, 200, 201)
    assert created.json()["kind"] == "maintenance"
    assert problem(lower)["code"] == "mileage_below_last"
    assert Visit.objects.filter(vehicle=car).count() == 2
    car.refresh_from_db()
    assert car.last_mileage_km == 100
    assert problem(post(dms, "/api/v1/visits", {**body, "dealer": "NOPE"}))["code"] == "validation_error"
    assert problem(post(dms, "/api/v1/visits", {**body, "repair_order": " "}))["code"] == "validation_error"


def test_a_key_limited_to_other_dealers_may_not_record_their_visits():
    VehicleFactory(vin=VIN)
    DealerFactory(code="TPE01")
    _key, plaintext = make_key("dms-ks", scopes=["vehicles"], dealers=[DealerFactory(code="KHH01")])

    response = post(
        client_for(plaintext),
        "/api/v1/visits",
        {"vin": VIN, "dealer": "TPE01", "date": "2026-03-01", "repair_order": "R"},
    )

    assert problem(response)["code"] == "permission_denied"
    assert not Visit.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31"])
def test_a_visit_dated_before_1900_is_a_400_not_a_500(dms, day):
    VehicleFactory(vin=VIN)
    DealerFactory(code="TPE01")
    body = {"vin": VIN, "dealer": "TPE01", "date": day, "repair_order": "RO-1", "kind": "maintenance"}
    response = post(dms, "/api/v1/visits", body)
    assert response.status_code == 400
    assert not Visit.objects.exists()
