"""The counter's read-side queries agree with the shared selectors they shortcut."""

import pytest
from django.utils import timezone

from redemption.selectors import counter_vehicles_matching, vehicle_with_voucher
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, issue_voucher
from vehicles.models import AuthorisedDriver
from vouchers.models import VoucherDefinition
from vouchers.selectors import vouchers_for_vehicle

pytestmark = pytest.mark.django_db

Holder = VoucherDefinition.HolderType


def _accepted(vehicle, voucher) -> bool:
    found_vehicle, found = vehicle_with_voucher(vehicle_id=vehicle.pk, voucher_id=voucher.pk)
    assert found_vehicle == vehicle
    return found is not None and (found.pk, found.code) == (voucher.pk, voucher.code)


def test_vehicle_with_voucher_accepts_exactly_the_vouchers_the_vehicle_page_lists(vehicle):
    owner = vehicle.ownerships.get().member
    driver, stranger = MemberFactory(), MemberFactory()
    AuthorisedDriver.objects.create(vehicle=vehicle, member=driver, started_at=timezone.now())
    other_car = OwnedVehicleFactory()
    personal = DefinitionFactory(holder_type=Holder.MEMBER)
    candidates = [
        issue_voucher(DefinitionFactory(), vehicle=vehicle),
        issue_voucher(personal, member=owner),
        issue_voucher(personal, member=driver),
        issue_voucher(personal, member=stranger),
        issue_voucher(DefinitionFactory(), vehicle=other_car),
        issue_voucher(DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE), member=owner, vehicle=vehicle),
        issue_voucher(personal, member=other_car.ownerships.get().member),
    ]
    listed = set(vouchers_for_vehicle(vehicle).values_list("pk", flat=True))
    accepted = {v.pk for v in candidates if _accepted(vehicle, v)}
    assert accepted == listed
    assert len(accepted) == 4


def test_vehicle_with_voucher_of_an_unknown_vehicle_or_voucher(vehicle, django_assert_num_queries):
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle)
    with django_assert_num_queries(1):
        assert vehicle_with_voucher(vehicle_id=vehicle.pk, voucher_id=voucher.pk)[1] is not None
    assert vehicle_with_voucher(vehicle_id=vehicle.pk + 1000, voucher_id=voucher.pk) == (None, None)
    assert vehicle_with_voucher(vehicle_id=vehicle.pk, voucher_id=voucher.pk + 1000) == (vehicle, None)


def test_vehicles_matching_prefers_an_exact_plate(vehicle):
    OwnedVehicleFactory(plate="ABC-1235", plate_key="ABC1235")
    matches = counter_vehicles_matching("abc-1234")
    assert matches.exact
    assert matches.vehicles == [vehicle]


def test_vehicles_matching_needs_three_characters_for_a_partial_search(vehicle):
    assert counter_vehicles_matching("12").vehicles == []
    assert counter_vehicles_matching("234").vehicles == [vehicle]
