"""voucher_ineligibility: every reason at once; member-held vouchers follow the member's cars."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles.selectors import vehicles_of_member
from vehicles.services import vehicle_authorise_driver, vehicle_revoke_driver, vehicle_transfer_ownership
from vouchers.eligibility import Reason, voucher_ineligibility
from vouchers.exceptions import VoucherNotUsable
from vouchers.models import Voucher, VoucherDefinition
from vouchers.selectors import ledger_drift
from vouchers.services import voucher_hold, voucher_redeem

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("holds_without_redemptions")]

Holder = VoucherDefinition.HolderType
Mode = VoucherDefinition.ActivationMode
NOW = timezone.now()


def test_a_usable_voucher_has_no_reasons():
    vehicle = OwnedVehicleFactory()
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle, now=NOW)

    assert voucher_ineligibility(voucher, vehicle=vehicle, dealer=DealerFactory(), now=NOW) == []


def test_every_applicable_reason_is_returned_at_once():
    vehicle = OwnedVehicleFactory()
    definition = DefinitionFactory(activation_mode=Mode.HOLDER, validity_days=5, allowed_cities="台中市")
    definition.allowed_models.add(VehicleModelFactory())
    voucher = issue_voucher(definition, vehicle=vehicle, now=NOW)

    reasons = voucher_ineligibility(
        voucher,
        vehicle=OwnedVehicleFactory(),
        dealer=DealerFactory(city="台北市"),
        now=NOW + timedelta(days=8),
    )

    assert reasons == [
        Reason.NOT_ACTIVE,
        Reason.EXPIRED,
        Reason.WRONG_VEHICLE,
        Reason.MODEL_NOT_ALLOWED,
        Reason.DEALER_NOT_ALLOWED,
    ]


def test_not_yet_valid_is_reported_with_the_status():
    start = timezone.localdate() + timedelta(days=3)
    vehicle = OwnedVehicleFactory()
    definition = DefinitionFactory(
        activation_mode=Mode.HOLDER,
        validity_policy=VoucherDefinition.ValidityPolicy.FIXED,
        valid_from_date=start,
        valid_until_date=start + timedelta(days=30),
    )
    voucher = issue_voucher(definition, vehicle=vehicle, now=NOW)

    reasons = voucher_ineligibility(voucher, vehicle=vehicle, dealer=None, now=NOW)

    assert reasons == [Reason.NOT_ACTIVE, Reason.NOT_YET_VALID]


def test_an_exhausted_voucher_reports_exhausted_and_the_rest():
    vehicle = OwnedVehicleFactory()
    dealer = DealerFactory()
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle, now=NOW)
    voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, now=NOW)
    voucher.refresh_from_db()

    reasons = voucher_ineligibility(voucher, vehicle=OwnedVehicleFactory(), dealer=dealer, now=NOW)

    assert reasons == [Reason.EXHAUSTED, Reason.WRONG_VEHICLE]


def test_held_is_a_reason_unless_allowed():
    vehicle = OwnedVehicleFactory()
    dealer = DealerFactory()
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle, now=NOW)
    voucher_hold(voucher=voucher, vehicle=vehicle, dealer=dealer, now=NOW)
    voucher.refresh_from_db()

    assert voucher_ineligibility(voucher, vehicle=vehicle, dealer=dealer, now=NOW) == [Reason.HELD]
    assert voucher_ineligibility(voucher, vehicle=vehicle, dealer=dealer, now=NOW, allow_held=True) == []


def test_without_a_vehicle_or_dealer_only_the_voucher_itself_is_judged():
    vehicle = OwnedVehicleFactory()
    definition = DefinitionFactory(allowed_cities="台中市")
    definition.allowed_models.add(VehicleModelFactory())
    voucher = issue_voucher(definition, vehicle=vehicle, now=NOW)

    assert voucher_ineligibility(voucher, vehicle=None, dealer=None, now=NOW) == []


# --- member-held vouchers ----------------------------------------------------------------------


@pytest.fixture
def member_voucher():
    member = MemberFactory()
    voucher = issue_voucher(
        DefinitionFactory(holder_type=Holder.MEMBER, uses_per_voucher=5), member=member, now=NOW
    )
    return member, voucher


def test_member_voucher_is_usable_with_every_car_the_member_owns(member_voucher):
    member, voucher = member_voucher
    first, second = OwnedVehicleFactory(owner=member), OwnedVehicleFactory(owner=member)
    dealer = DealerFactory()

    voucher_redeem(voucher=voucher, vehicle=first, dealer=dealer)
    voucher_redeem(voucher=voucher, vehicle=second, dealer=dealer)

    voucher.refresh_from_db()
    assert voucher.uses_left == 3
    assert set(voucher.ledger.filter(kind="redeemed").values_list("dealer", flat=True)) == {dealer.pk}
    assert ledger_drift().count() == 0


def test_member_voucher_is_usable_with_a_car_the_member_drives(member_voucher):
    member, voucher = member_voucher
    driven = OwnedVehicleFactory()
    vehicle_authorise_driver(vehicle=driven, member=member)

    voucher_redeem(voucher=voucher, vehicle=driven, dealer=DealerFactory())

    voucher.refresh_from_db()
    assert voucher.uses_left == 4


def test_member_voucher_is_refused_with_another_car(member_voucher):
    member, voucher = member_voucher
    OwnedVehicleFactory(owner=member)
    someone_elses = OwnedVehicleFactory()

    with pytest.raises(VoucherNotUsable) as caught:
        voucher_redeem(voucher=voucher, vehicle=someone_elses, dealer=DealerFactory())

    assert caught.value.code == Reason.WRONG_VEHICLE.value
    voucher.refresh_from_db()
    assert voucher.uses_left == 5


def test_member_voucher_is_refused_with_a_car_the_member_no_longer_has(member_voucher):
    member, voucher = member_voucher
    sold = OwnedVehicleFactory(owner=member)
    driven = OwnedVehicleFactory()
    vehicle_authorise_driver(vehicle=driven, member=member)
    vehicle_transfer_ownership(vehicle=sold, new_owner=MemberFactory())
    vehicle_revoke_driver(vehicle=driven, member=member)

    for vehicle in (sold, driven):
        with pytest.raises(VoucherNotUsable) as caught:
            voucher_redeem(voucher=voucher, vehicle=vehicle, dealer=DealerFactory())
        assert caught.value.code == Reason.WRONG_VEHICLE.value


def test_member_vehicle_ids_decide_for_member_held_vouchers(member_voucher):
    member, voucher = member_voucher
    own = OwnedVehicleFactory(owner=member)
    other = OwnedVehicleFactory()
    ids = set(vehicles_of_member(member).values_list("pk", flat=True))

    assert voucher_ineligibility(voucher, vehicle=own, dealer=None, now=NOW, member_vehicle_ids=ids) == []
    assert voucher_ineligibility(voucher, vehicle=other, dealer=None, now=NOW, member_vehicle_ids=ids) == [
        Reason.WRONG_VEHICLE
    ]


def test_a_vehicle_held_voucher_ignores_the_members_cars():
    owner = MemberFactory()
    car = OwnedVehicleFactory(owner=owner)
    other_car_of_the_owner = OwnedVehicleFactory(owner=owner)
    voucher = issue_voucher(DefinitionFactory(holder_type=Holder.VEHICLE), vehicle=car, now=NOW)
    ids = {car.pk, other_car_of_the_owner.pk}

    assert voucher_ineligibility(
        voucher, vehicle=other_car_of_the_owner, dealer=None, now=NOW, member_vehicle_ids=ids
    ) == [Reason.WRONG_VEHICLE]
    assert Voucher.objects.get(pk=voucher.pk).status == Voucher.Status.ACTIVE


@pytest.mark.parametrize(
    ("status", "uses_left", "reason"),
    [
        (Voucher.Status.INACTIVE, 1, Reason.NOT_ACTIVE),
        (Voucher.Status.HELD, 1, Reason.HELD),
        (Voucher.Status.LOCKED, 1, Reason.LOCKED),
        (Voucher.Status.USED, 0, Reason.EXHAUSTED),
        (Voucher.Status.EXPIRED, 1, Reason.EXPIRED),
        (Voucher.Status.VOIDED, 1, Reason.VOIDED),
        (Voucher.Status.REFUNDED, 1, Reason.REFUNDED),
    ],
)
def test_each_state_gives_its_own_reason(status, uses_left, reason):
    voucher = Voucher(
        definition=DefinitionFactory(), status=status, uses_total=1, uses_left=uses_left, valid_until=None
    )

    assert voucher_ineligibility(voucher, vehicle=None, dealer=None, now=NOW) == [reason]
