"""The claim centre page and the claim service share one assessment (`vouchers.claims`): for every
refusal reason, and for acceptance with every holder type, what the page shows for a vehicle (or for
no vehicle) is exactly what the service decides, and the refusal the service raises is the page's."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from members.models import Tier
from portal.claim_centre import claim_offers
from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles.services import vehicle_authorise_driver, vehicle_transfer_ownership
from vouchers.claims import ClaimRefusal
from vouchers.models import Voucher, VoucherDefinition
from vouchers.services import claim_refusals, voucher_claim

from .conftest import TOKEN, english_client, sign_in

pytestmark = pytest.mark.django_db
Holder = VoucherDefinition.HolderType
R = ClaimRefusal


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _claimable(**kwargs):
    kwargs.setdefault("holder_type", Holder.VEHICLE)
    kwargs.setdefault("channel_claim", True)
    return DefinitionFactory(**kwargs)


def _owner_and_car(**car):
    member = MemberFactory()
    return member, OwnedVehicleFactory(owner=member, **car)


# Each builds (definition, member, vehicle claimed for or None).
def _not_open():
    member, car = _owner_and_car()
    return _claimable(channel_claim=False), member, car


def _not_started():
    member, car = _owner_and_car()
    return _claimable(claim_starts_at=timezone.now() + timedelta(days=1)), member, car


def _ended():
    member, car = _owner_and_car()
    return _claimable(claim_ends_at=timezone.now() - timedelta(minutes=1)), member, car


def _tier_too_low():
    member, car = _owner_and_car()
    return _claimable(claim_min_tier=Tier.PLATINUM), member, car


def _not_your_vehicle():
    member, _car = _owner_and_car()
    return _claimable(), member, OwnedVehicleFactory()


def _vehicle_needed():
    return _claimable(), MemberFactory(), None


def _owners_only():
    driver = MemberFactory()
    car = OwnedVehicleFactory()
    vehicle_authorise_driver(vehicle=car, member=driver)
    return _claimable(claim_owners_only=True), driver, car


def _not_first_owner():
    car = OwnedVehicleFactory()
    buyer = MemberFactory()
    vehicle_transfer_ownership(vehicle=car, new_owner=buyer)
    return _claimable(holder_type=Holder.MEMBER_VEHICLE), buyer, car


def _not_past_owner():
    driver = MemberFactory()
    vehicle_authorise_driver(vehicle=OwnedVehicleFactory(), member=driver)
    return _claimable(holder_type=Holder.MEMBER, holder_has_owned=True), driver, None


def _model_not_allowed():
    member, car = _owner_and_car()
    definition = _claimable()
    definition.claim_models.set([VehicleModelFactory()])
    return definition, member, car


def _no_delivery_date():
    member, car = _owner_and_car(delivery_date=None)
    policy = VoucherDefinition.ValidityPolicy.DELIVERY_WINDOW
    return _claimable(validity_policy=policy), member, car


def _holder_limit():
    member, car = _owner_and_car()
    definition = _claimable(holder_type=Holder.MEMBER_VEHICLE, per_holder_limit=1)
    issue_voucher(definition, member=member, vehicle=car)
    return definition, member, car


def _no_stock():
    member, car = _owner_and_car()
    definition = _claimable(stock_total=1)
    issue_voucher(definition, vehicle=OwnedVehicleFactory())
    return definition, member, car


REFUSALS = {
    R.NOT_OPEN: _not_open,
    R.NOT_STARTED: _not_started,
    R.ENDED: _ended,
    R.TIER_TOO_LOW: _tier_too_low,
    R.NOT_YOUR_VEHICLE: _not_your_vehicle,
    R.VEHICLE_NEEDED: _vehicle_needed,
    R.OWNERS_ONLY: _owners_only,
    R.NOT_FIRST_OWNER: _not_first_owner,
    R.NOT_PAST_OWNER: _not_past_owner,
    R.MODEL_NOT_ALLOWED: _model_not_allowed,
    R.NO_DELIVERY_DATE: _no_delivery_date,
    R.HOLDER_LIMIT: _holder_limit,
    R.NO_STOCK: _no_stock,
}
# Closed definitions are not on the page at all; a car of someone else's is never among the owner's.
NOT_ON_THE_PAGE = {R.NOT_OPEN, R.NOT_STARTED, R.ENDED}
NOT_AMONG_THE_OWNERS_CARS = {R.NOT_YOUR_VEHICLE}


def test_every_refusal_reason_has_a_case():
    assert set(REFUSALS) == set(ClaimRefusal)


def _offer(member, definition):
    return next((o for o in claim_offers(member, now=timezone.now()) if o.definition == definition), None)


@pytest.mark.parametrize("reason", list(REFUSALS), ids=[r.value for r in REFUSALS])
def test_page_and_service_refuse_for_the_same_reason(reason):
    definition, member, vehicle = REFUSALS[reason]()
    vehicle_key = vehicle.pk if vehicle is not None else None
    decided = claim_refusals(definition, member=member, vehicle=vehicle, now=timezone.now())
    offer = _offer(member, definition)

    with pytest.raises(Exception) as refused:
        voucher_claim(definition=definition, member=member, vehicle=vehicle)

    assert decided == [reason]
    assert refused.value.claim_refusal == reason
    if reason in NOT_ON_THE_PAGE:
        assert offer is None
    elif reason in NOT_AMONG_THE_OWNERS_CARS:
        assert vehicle not in offer.vehicles and vehicle_key not in offer.assessments
    else:
        assert offer.assessments[vehicle_key] == decided
        assert vehicle not in offer.vehicles
        if not offer.vehicles:
            assert not offer.claimable
    already_issued = 1 if reason in (R.HOLDER_LIMIT, R.NO_STOCK) else 0  # by the case's set-up
    assert Voucher.objects.filter(definition=definition).count() == already_issued


def _accept_vehicle():
    member, car = _owner_and_car()
    return _claimable(), member, car


def _accept_member():
    return _claimable(holder_type=Holder.MEMBER), MemberFactory(), None


def _accept_first_owner():
    member, car = _owner_and_car()
    return _claimable(holder_type=Holder.MEMBER_VEHICLE, claim_owners_only=True), member, car


def _accept_past_owner():
    member, car = _owner_and_car()
    vehicle_transfer_ownership(vehicle=car, new_owner=MemberFactory())
    return _claimable(holder_type=Holder.MEMBER, holder_has_owned=True), member, None


def _accept_member_for_a_model():
    member, car = _owner_and_car()
    definition = _claimable(holder_type=Holder.MEMBER, per_holder_limit=1)
    definition.claim_models.set([car.model])
    return definition, member, car


ACCEPTED = {
    "vehicle": _accept_vehicle,
    "member": _accept_member,
    "first-owner": _accept_first_owner,
    "past-owner": _accept_past_owner,
    "member-for-a-model": _accept_member_for_a_model,
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_page_offers_exactly_what_the_service_accepts(case):
    definition, member, vehicle = ACCEPTED[case]()
    offer = _offer(member, definition)
    vehicle_key = vehicle.pk if vehicle is not None else None

    assert claim_refusals(definition, member=member, vehicle=vehicle, now=timezone.now()) == []
    assert offer.claimable and offer.assessments[vehicle_key] == []
    assert (vehicle in offer.vehicles) if vehicle is not None else not offer.needs_vehicle

    vouchers = voucher_claim(definition=definition, member=member, vehicle=vehicle)

    assert vouchers and all(v.member_id in (None, member.pk) for v in vouchers)
    after = _offer(member, definition)
    again = claim_refusals(definition, member=member, vehicle=vehicle, now=timezone.now())
    assert after.assessments[vehicle_key] == again  # still in step after the claim


def test_through_the_pages_a_refused_claim_shows_the_page_s_own_reason():
    definition, member, car = _not_first_owner()
    client = sign_in(english_client(), member)
    page = client.get(reverse("portal:claim_centre"))
    offer = next(o for o in page.context["offers"] if o.definition == definition)
    assert not offer.claimable

    response = client.post(
        reverse("portal:claim", args=[definition.pk]),
        {"idempotency_key": TOKEN, "vehicle": car.pk},
        follow=True,
    )

    assert str(R.NOT_FIRST_OWNER.label) in offer.blockers
    assert escape(str(R.NOT_FIRST_OWNER.label)) in response.content.decode()
    assert not Voucher.objects.exists()
