"""Binding a vehicle by VIN and plate: immediate when the sales record says so, else a request."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import MemberFactory, OwnedVehicleFactory, VehicleFactory
from tests.translation_support import zh_hant_entries
from vehicles.models import BindingRequest, Ownership

from .conftest import TOKEN, page_messages, sign_in

pytestmark = pytest.mark.django_db
PENDING = "We could not match this VIN and plate to a car registered to your mobile number."


def _bind(client, vin, plate):
    return client.post(
        reverse("portal:vehicle_bind"), {"vin": vin, "plate": plate, "idempotency_key": TOKEN}, follow=True
    )


def test_a_car_sold_to_the_owners_number_is_bound_at_once(owner, owner_client):
    car = VehicleFactory(registered_owner_phone=owner.phone)

    response = _bind(owner_client, car.vin.lower(), car.plate.replace("-", " "))

    assert Ownership.objects.get(vehicle=car, ended_at__isnull=True).member == owner
    assert response.redirect_chain[-1][0] == reverse("portal:vehicle", args=[car.pk])
    assert f"Your car {car.plate} is now in your account." in page_messages(response)


def test_a_car_already_in_the_account_says_so(owner, car, owner_client):
    response = _bind(owner_client, car.vin, car.plate)
    assert "This car is already in your account." in page_messages(response)
    assert Ownership.objects.filter(vehicle=car).count() == 1


@pytest.mark.parametrize("case", ["someone_elses", "unknown", "wrong_plate", "other_number"])
def test_a_mismatch_becomes_a_request_and_never_says_whose_car_it_is(owner, owner_client, case):
    stranger = MemberFactory(name="林美麗")
    theirs = OwnedVehicleFactory(owner=stranger)
    unbound = VehicleFactory(registered_owner_phone=stranger.phone)
    vin, plate = {
        "someone_elses": (theirs.vin, theirs.plate),
        "unknown": ("WBA5R1C00LF999999", "ZZZ-9999"),
        "wrong_plate": (unbound.vin, "ZZZ-9999"),
        "other_number": (unbound.vin, unbound.plate),
    }[case]

    response = _bind(owner_client, vin, plate)

    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert any(PENDING in m for m in page_messages(response))
    assert "林美麗" not in html and stranger.phone_masked not in html and stranger.phone not in html
    assert BindingRequest.objects.get().status == BindingRequest.Status.PENDING
    assert not Ownership.objects.filter(member=owner).exists()
    assert 'data-test="binding-request"' in html  # the owner sees the request waiting


def test_a_waiting_request_says_when_it_was_made_in_one_sentence(owner, owner_client):
    _bind(owner_client, "WBA5R1C00LF999999", "ZZZ-9999")
    made = timezone.localtime(BindingRequest.objects.get().created_at)
    client = sign_in(Client(headers={"accept-language": "zh-Hant"}), owner)
    with zh_hant_entries({"requested %(date)s": "%(date)s 提出申請"}):
        html = client.get(reverse("portal:home")).content.decode()
    assert f"{made:%Y-%m-%d} 提出申請" in html


def test_submitting_the_same_request_twice_keeps_one(owner, owner_client):
    _bind(owner_client, "WBA5R1C00LF999999", "ZZZ-9999")
    _bind(owner_client, "WBA5R1C00LF999999", "ZZZ-9999")
    assert BindingRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("vin", "plate", "field", "message"),
    [
        ("WBA5R1C00LF12345", "ABC-1234", "vin", "A VIN has 17 characters"),
        ("WBA5R1C0OLF123456", "ABC-1234", "vin", "A VIN has 17 characters"),  # letter O
        ("WBA5R1C00LF123456", "ABCDE-12345", "plate", "Enter a licence plate such as ABC-1234"),
        ("WBA5R1C00LF123456", "", "plate", "This field is required."),
    ],
)
def test_malformed_identifiers_are_form_errors_and_change_nothing(owner_client, vin, plate, field, message):
    response = owner_client.post(
        reverse("portal:vehicle_bind"), {"vin": vin, "plate": plate, "idempotency_key": TOKEN}
    )
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert 'aria-invalid="true"' in response.content.decode()
    assert not BindingRequest.objects.exists()


@pytest.mark.usefixtures("one_rate_limit_window")
def test_binding_attempts_are_rate_limited(owner, owner_client, settings):
    settings.PORTAL_BIND_ATTEMPTS_PER_MEMBER_PER_HOUR = 2
    for i in range(2):
        _bind(owner_client, f"WBA5R1C00LF99999{i}", "ZZZ-9999")
    response = owner_client.post(
        reverse("portal:vehicle_bind"),
        {"vin": "WBA5R1C00LF999992", "plate": "ZZZ-9999", "idempotency_key": TOKEN},
    )
    assert "Too many attempts" in response.content.decode()
    assert BindingRequest.objects.count() == 2


def test_a_form_without_its_token_is_refused(owner, owner_client):
    car = VehicleFactory(registered_owner_phone=owner.phone)
    response = owner_client.post(reverse("portal:vehicle_bind"), {"vin": car.vin, "plate": car.plate})
    assert "This form has expired" in response.content.decode()
    assert not Ownership.objects.exists()
