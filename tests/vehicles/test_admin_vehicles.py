"""Vehicle and member search in any spelling, ownership transfer and the binding-request queue."""

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, issue_voucher
from tests.factories.staff import staff_user, use_english
from vehicles.models import BindingRequest, Ownership
from vehicles.services import binding_request_submit, vehicle_authorise_driver, vehicle_transfer_ownership
from vouchers.models import LedgerEntry, VoucherDefinition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-vehicles")
    client.force_login(user)
    return user


def search(client, name, term):
    return list(client.get(reverse(f"admin:{name}_changelist"), {"q": term}).context["cl"].result_list)


def test_vehicles_are_found_by_plate_in_any_spelling_and_by_vin(client, operator):
    vehicle = OwnedVehicleFactory(plate="ABC-1234", plate_key="ABC1234")
    OwnedVehicleFactory()
    for term in (
        "ABC-1234",
        "abc1234",
        "abc 1234",
        "ＡＢＣ－１２３４",
        "ABC–1234",
        f" {vehicle.vin.lower()} ",
    ):
        assert search(client, "vehicles_vehicle", term) == [vehicle], term
    assert search(client, "vehicles_vehicle", "ABC-9999") == []


def test_members_are_found_by_phone_in_any_common_format(client, operator):
    member = MemberFactory(phone="+886912345678", name="王小明")
    MemberFactory()
    for term in ("0912-345-678", "0912345678", "+886 912 345 678", "886912345678", "０９１２３４５６７８"):
        assert search(client, "members_member", term) == [member], term
    assert search(client, "members_member", "王小明") == [member]


def test_vouchers_are_found_by_code_plate_or_phone(client, operator):
    vehicle = OwnedVehicleFactory(plate="XYZ-5678", plate_key="XYZ5678")
    voucher = issue_voucher(vehicle=vehicle)
    member_voucher = issue_voucher(
        DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER),
        member=MemberFactory(phone="+886933111222"),
    )
    assert search(client, "vouchers_voucher", voucher.code_display.lower()) == [voucher]
    assert search(client, "vouchers_voucher", "xyz 5678") == [voucher]
    assert search(client, "vouchers_voucher", "0933-111-222") == [member_voucher]


def test_transfer_ownership_voids_first_owner_benefits_and_is_logged(client, operator):
    vehicle = OwnedVehicleFactory()
    previous = vehicle.ownerships.get().member
    first_owner = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE)
    benefit = issue_voucher(first_owner, vehicle=vehicle, member=previous)
    buyer = MemberFactory(phone="+886955000111")
    url = reverse("admin:vehicles_vehicle_transfer", args=[vehicle.pk])
    response = client.post(url, {"new_owner_phone": "0955-000-111", "reason": "sold second-hand"})
    assert response.status_code == 302
    assert Ownership.objects.get(vehicle=vehicle, ended_at__isnull=True).member == buyer
    benefit.refresh_from_db()
    assert benefit.status == "voided"
    assert LedgerEntry.objects.filter(
        voucher=benefit, kind="voided", reason__contains="sold second-hand"
    ).exists()
    assert LogEntry.objects.filter(
        object_id=str(vehicle.pk), change_message__contains="sold second-hand"
    ).exists()

    response = client.post(url, {"new_owner_phone": "0955-000-111", "reason": "again"})
    assert response.status_code == 200
    assert "already owns" in str(response.context["form"].non_field_errors())
    response = client.post(url, {"new_owner_phone": "0900-000-000", "reason": "x"})
    assert "new_owner_phone" in response.context["form"].errors


def test_binding_queue_approve_and_reject(client, operator):
    vehicle = OwnedVehicleFactory()
    claimant, stranger = MemberFactory(), MemberFactory()
    _status, request = binding_request_submit(member=claimant, vin=vehicle.vin, plate=vehicle.plate)
    _status, other = binding_request_submit(member=stranger, vin=vehicle.vin, plate=vehicle.plate)
    rows = search(client, "vehicles_bindingrequest", "")
    assert set(rows[:2]) == {request, other}

    url = reverse("admin:vehicles_bindingrequest_approve", args=[request.pk])
    assert client.post(url, {"role": "driver", "reason": "owner confirmed by phone"}).status_code == 302
    request.refresh_from_db()
    assert request.status == BindingRequest.Status.APPROVED and request.decided_by == operator
    assert vehicle.authorised_drivers.filter(member=claimant, ended_at__isnull=True).exists()
    response = client.post(url, {"role": "owner", "reason": "twice"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()

    url = reverse("admin:vehicles_bindingrequest_reject", args=[other.pk])
    assert client.post(url, {"reason": "documents do not match"}).status_code == 302
    other.refresh_from_db()
    assert (
        other.status == BindingRequest.Status.REJECTED and other.decision_reason == "documents do not match"
    )
    assert LogEntry.objects.filter(object_id=str(other.pk)).exists()


def test_phones_typed_in_the_admin_are_stored_in_e164(client, operator):
    vehicle = OwnedVehicleFactory()
    url = reverse("admin:vehicles_vehicle_change", args=[vehicle.pk])
    data = {
        "model": vehicle.model_id,
        "colour": "白",
        "selling_dealer": "",
        "registered_owner_phone": "0912-345-678",
        "ownerships-TOTAL_FORMS": "0",
        "ownerships-INITIAL_FORMS": "0",
        "authorised_drivers-TOTAL_FORMS": "0",
        "authorised_drivers-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    vehicle.refresh_from_db()
    assert vehicle.registered_owner_phone == "+886912345678"
    response = client.post(url, {**data, "registered_owner_phone": "12345"})
    assert (
        response.status_code == 200 and "registered_owner_phone" in response.context["adminform"].form.errors
    )

    member = MemberFactory()
    url = reverse("admin:members_member_change", args=[member.pk])
    data = {
        "phone": "0933 222 111",
        "name": "陳大文",
        "email": "",
        "tier": "2",
        "line_user_id": "",
        "consent_changes-TOTAL_FORMS": "0",
        "consent_changes-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert (member.phone, member.tier) == ("+886933222111", 2)


def _change_page(client, vehicle) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:vehicles_vehicle_change", args=[vehicle.pk]))
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def test_vehicle_page_queries_do_not_grow_with_past_owners_and_drivers(client, operator):
    vehicle = OwnedVehicleFactory()
    _page, before = _change_page(client, vehicle)
    people = [MemberFactory(name=f"車主{i}") for i in range(6)]
    for member in people:
        vehicle_transfer_ownership(vehicle=vehicle, new_owner=member, actor=operator, reason="resold")
        vehicle_authorise_driver(vehicle=vehicle, member=MemberFactory(name=f"駕駛{member.pk}"))
    page, after = _change_page(client, vehicle)
    assert all(member.name in page for member in people)
    assert after == before
