"""The one search box: plates in any spelling, VINs, voucher codes, the portal's QR payload."""

import pytest
from django.urls import reverse

from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    issue_voucher,
)
from vehicles.models import AuthorisedDriver
from vouchers.codes import code_format, code_qr_payload
from vouchers.models import VoucherDefinition

from .conftest import signed_in, vehicle_url

pytestmark = pytest.mark.django_db

SEARCH = reverse("counter:search")


def search(client, text, **extra):
    return client.get(SEARCH, {"q": text}, **extra)


@pytest.mark.parametrize(
    "typed", ["ABC-1234", "abc1234", "abc-1234", " ABC 1234 ", "ＡＢＣ－１２３４", "abc–1234"]
)
def test_a_plate_in_any_spelling_goes_straight_to_the_vehicle(counter, vehicle, typed):
    response = search(counter, typed)
    assert response.status_code == 302
    assert response.url == vehicle_url(vehicle)


def test_a_vin_goes_straight_to_the_vehicle(counter, vehicle):
    response = search(counter, vehicle.vin.lower())
    assert response.url == vehicle_url(vehicle)


def test_a_voucher_code_goes_to_its_vehicle_with_the_voucher_highlighted(counter, vehicle, voucher):
    for typed in (
        voucher.code,
        code_format(voucher.code),
        code_format(voucher.code).lower().replace("-", " "),
    ):
        response = search(counter, typed)
        assert response.status_code == 302
        assert response.url == vehicle_url(vehicle, voucher)


def test_the_owner_portal_qr_payload_is_understood(counter, vehicle, voucher):
    payload = code_qr_payload(voucher.code)
    assert payload.startswith("SV1:")
    response = search(counter, payload)
    assert response.url == vehicle_url(vehicle, voucher)


def test_a_code_with_a_wrong_check_character_is_called_mistyped(counter, voucher):
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    wrong_last = next(c for c in alphabet if c != voucher.code[-1])
    response = search(counter, voucher.code[:-1] + wrong_last)
    assert response.status_code == 200
    assert "looks mistyped" in response.content.decode()


def test_a_well_formed_unknown_code_is_not_found(counter, voucher):
    from vouchers.codes import code_generate

    response = search(counter, code_generate())
    assert "No voucher has this code." in response.content.decode()


def test_a_malformed_qr_payload_says_it_is_not_a_code(counter):
    response = search(counter, "SV1:HELLO")
    assert "This is not a voucher code" in response.content.decode()


def test_nothing_found_gives_a_clear_message(counter, vehicle):
    response = search(counter, "ZZZ-9999")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-outcome="none"' in body
    assert "Nothing matches “ZZZ-9999”" in body


def test_an_empty_search_returns_to_the_start(counter):
    response = search(counter, "   ")
    assert response.status_code == 302
    assert response.url == reverse("counter:home")


def test_partial_plate_digits_give_a_short_list_even_for_a_single_match(counter, vehicle):
    VehicleFactory(plate="XYZ-5678", plate_key="XYZ5678")
    response = search(counter, "1234")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-outcome="choose"' in body
    assert vehicle_url(vehicle) in body
    assert "XYZ-5678" not in body


def test_several_partial_matches_are_listed(counter):
    cars = [VehicleFactory(plate=f"AB{c}-7777", plate_key=f"AB{c}7777") for c in "CDE"]
    body = search(counter, "7777").content.decode()
    for car in cars:
        assert vehicle_url(car) in body


def test_the_last_six_of_a_vin_find_the_car(counter, vehicle):
    body = search(counter, vehicle.vin[-6:]).content.decode()
    assert vehicle_url(vehicle) in body


def test_long_partial_lists_are_cut_and_say_so(counter):
    for n in range(22):
        VehicleFactory(plate=f"QQ{n:02d}-8888", plate_key=f"QQ{n:02d}8888")
    body = search(counter, "8888").content.decode()
    assert body.count('class="choice"') == 20
    assert "Only the first 20 are shown" in body


def test_a_member_voucher_whose_holder_drives_two_cars_asks_which_car(counter):
    member = MemberFactory()
    first = OwnedVehicleFactory(owner=member)
    second = OwnedVehicleFactory()
    AuthorisedDriver.objects.create(vehicle=second, member=member, started_at=first.created_at)
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER)
    voucher = issue_voucher(definition, member=member)
    response = search(counter, voucher.code)
    body = response.content.decode()
    assert 'data-outcome="choose"' in body
    assert vehicle_url(first, voucher) in body.replace("&amp;", "&")
    assert vehicle_url(second, voucher) in body.replace("&amp;", "&")


def test_a_member_voucher_whose_holder_has_no_car_says_so(counter):
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER)
    voucher = issue_voucher(definition, member=MemberFactory())
    body = search(counter, voucher.code).content.decode()
    assert "is not linked to any vehicle" in body


@pytest.mark.usefixtures("one_rate_limit_window")
def test_code_lookups_are_rate_limited_per_advisor(counter, advisor, voucher, settings, other_dealer):
    settings.COUNTER_CODE_LOOKUPS_PER_ADVISOR = 3
    for _attempt in range(3):
        assert search(counter, voucher.code).status_code == 302
    response = search(counter, voucher.code)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    # The limit is per advisor: a colleague at another terminal (another address) is not blocked.
    from tests.factories import DealerStaffFactory

    colleague = signed_in(DealerStaffFactory(dealer=other_dealer).user)
    assert search(colleague, voucher.code, REMOTE_ADDR="10.1.1.1").status_code == 302


@pytest.mark.usefixtures("one_rate_limit_window")
def test_mistyped_codes_count_against_the_limit_too(counter, voucher, settings):
    settings.COUNTER_CODE_LOOKUPS_PER_ADVISOR = 2
    wrong = voucher.code[:-1] + ("0" if voucher.code[-1] != "0" else "1")
    search(counter, wrong)
    search(counter, wrong)
    assert search(counter, voucher.code).status_code == 429


@pytest.mark.usefixtures("one_rate_limit_window")
def test_code_lookups_are_rate_limited_per_client_address(voucher, settings, dealer):
    from tests.factories import DealerStaffFactory

    settings.COUNTER_CODE_LOOKUPS_PER_ADDRESS = 2
    clients = [signed_in(DealerStaffFactory(dealer=dealer).user) for _n in range(3)]
    assert search(clients[0], voucher.code).status_code == 302
    assert search(clients[1], voucher.code).status_code == 302
    assert search(clients[2], voucher.code).status_code == 429
    assert search(clients[2], voucher.code, REMOTE_ADDR="10.2.2.2").status_code == 302


def test_plate_searches_are_not_rate_limited(counter, vehicle, settings):
    settings.COUNTER_CODE_LOOKUPS_PER_ADVISOR = 1
    settings.COUNTER_CODE_LOOKUPS_PER_ADDRESS = 1
    for _attempt in range(5):
        assert search(counter, "ABC1234").status_code == 302
