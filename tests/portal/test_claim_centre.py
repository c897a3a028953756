"""The claim centre: what is open, its conditions and stock, and claiming through the service."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.models import Tier
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, VehicleModelFactory
from tests.translation_support import zh_hant_entries
from vehicles.services import vehicle_authorise_driver
from vouchers.models import Voucher, VoucherDefinition

from .conftest import TOKEN, english_client, page_messages, sign_in

pytestmark = pytest.mark.django_db
Holder = VoucherDefinition.HolderType
Status = VoucherDefinition.Status


def _claimable(**kwargs):
    kwargs.setdefault("holder_type", Holder.MEMBER)
    return DefinitionFactory(channel_claim=True, **kwargs)


def _offers(client):
    return {o.definition.code: o for o in client.get(reverse("portal:claim_centre")).context["offers"]}


def _claim(client, definition, vehicle=None, token=TOKEN):
    data = {"idempotency_key": token}
    if vehicle is not None:
        data["vehicle"] = vehicle.pk
    return client.post(reverse("portal:claim", args=[definition.pk]), data, follow=True)


def test_only_published_self_claim_definitions_inside_their_window_are_listed(owner, owner_client):
    now = timezone.now()
    open_now = _claimable(
        code="open-now", claim_starts_at=now - timedelta(days=1), claim_ends_at=now + timedelta(days=1)
    )
    _claimable(code="draft", status=Status.DRAFT)
    _claimable(code="paused", status=Status.PAUSED)
    DefinitionFactory(code="no-claim", channel_claim=False)
    _claimable(code="not-yet", claim_starts_at=now + timedelta(days=1))
    _claimable(code="closed", claim_ends_at=now - timedelta(minutes=1))
    _claimable(code="order", holder_type=Holder.ORDER)

    assert set(_offers(owner_client)) == {open_now.code}


def test_each_offer_shows_its_conditions_and_the_stock_left(owner, car, owner_client):
    owner.tier = Tier.SILVER
    owner.save()
    model = VehicleModelFactory(name="SUV X5")
    definition = _claimable(
        code="spring",
        card_title="Interior care",
        claim_min_tier=Tier.GOLD,
        stock_total=400,
        per_holder_limit=1,
        claim_owners_only=True,
    )
    definition.claim_models.set([model])
    VoucherDefinition.objects.filter(pk=definition.pk).update(stock_issued=55)

    offer = _offers(owner_client)["spring"]
    html = owner_client.get(reverse("portal:claim_centre")).content.decode()

    texts = {c.text: c.met for c in offer.conditions}
    assert texts["Gold members or higher"] is False
    assert texts["Vehicle owners only"] is True
    assert texts["For SUV X5"] is False
    assert "Limit 1 per member" in texts and "345 left" in texts
    assert "Interior care" in html and "345 left" in html
    assert not offer.claimable and "Your membership tier is too low for this voucher." in offer.blockers


@pytest.mark.parametrize(
    ("holder", "msgid", "shown"),
    [
        (Holder.MEMBER, "Limit %(limit)s per member", "會員每人最多 2 張"),
        (Holder.VEHICLE, "Limit %(limit)s per vehicle", "每車最多 2 張"),
    ],
)
def test_the_per_holder_limit_is_one_translatable_sentence(owner, car, holder, msgid, shown):
    """Word order differs between languages: "limit" and "per member" are not glued together."""
    _claimable(code="limited", holder_type=holder, per_holder_limit=2)
    client = sign_in(Client(headers={"accept-language": "zh-Hant"}), owner)
    with zh_hant_entries({msgid: shown.replace("2", "%(limit)s")}):
        offer = _offers(client)["limited"]
    assert shown in {c.text for c in offer.conditions}


def test_claim_a_member_voucher(owner, owner_client):
    definition = _claimable(stock_total=10)

    response = _claim(owner_client, definition)

    voucher = Voucher.objects.get()
    assert (voucher.member, voucher.vehicle, voucher.source) == (owner, None, Voucher.Source.CLAIM)
    assert response.redirect_chain[-1][0] == reverse("portal:voucher", args=[voucher.pk])
    assert "Claimed! The voucher is in your wallet." in page_messages(response)
    definition.refresh_from_db()
    assert definition.stock_issued == 1


def test_claim_a_car_voucher_for_the_chosen_vehicle(owner, car, owner_client):
    second = OwnedVehicleFactory(owner=owner)
    definition = _claimable(holder_type=Holder.VEHICLE)
    assert {v.pk for v in _offers(owner_client)[definition.code].vehicles} == {car.pk, second.pk}

    _claim(owner_client, definition, vehicle=second)

    assert Voucher.objects.get().vehicle == second


def test_a_double_submitted_claim_issues_one_voucher(owner, owner_client):
    definition = _claimable(per_holder_limit=5)
    _claim(owner_client, definition)
    _claim(owner_client, definition)
    assert Voucher.objects.count() == 1
    _claim(owner_client, definition, token="u" * 32)  # a new form: a second claim
    assert Voucher.objects.count() == 2


def test_the_per_holder_limit_holds_and_the_offer_says_so(owner, owner_client):
    definition = _claimable(per_holder_limit=1)
    _claim(owner_client, definition)
    offer = _offers(owner_client)[definition.code]
    assert "You have already claimed this voucher." in offer.blockers

    response = _claim(owner_client, definition, token="u" * 32)

    assert "code-holder_limit_reached" in response.content.decode()
    assert Voucher.objects.count() == 1


def test_no_stock_left_is_refused(owner, owner_client):
    definition = _claimable(stock_total=1)
    _claim(owner_client, definition)  # the owner takes the last one
    latecomer = sign_in(english_client(), MemberFactory())
    offer = _offers(latecomer)[definition.code]
    assert "0 left" in [c.text for c in offer.conditions]
    assert "No stock is left for this voucher." in offer.blockers

    response = _claim(latecomer, definition)

    assert "code-stock_exhausted" in response.content.decode()
    definition.refresh_from_db()
    assert definition.stock_issued == 1 and Voucher.objects.count() == 1


def test_a_tier_too_low_is_refused_by_the_service(owner, owner_client):
    definition = _claimable(claim_min_tier=Tier.PLATINUM)
    response = _claim(owner_client, definition)
    assert "code-claim_refused" in response.content.decode()
    assert "Your membership tier is too low for this voucher." in response.content.decode()
    assert not Voucher.objects.exists()


def test_owners_only_excludes_cars_the_member_only_drives(owner, owner_client):
    driven = OwnedVehicleFactory(owner=MemberFactory())
    vehicle_authorise_driver(vehicle=driven, member=owner)
    definition = _claimable(holder_type=Holder.VEHICLE, claim_owners_only=True)
    offer = _offers(owner_client)[definition.code]
    assert offer.vehicles == [] and "Only vehicle owners can claim this voucher." in offer.blockers

    response = _claim(owner_client, definition, vehicle=driven)

    assert "code-claim_refused" in response.content.decode()
    assert not Voucher.objects.exists()


def test_model_restricted_offer_lists_only_matching_cars(owner, owner_client):
    suv = VehicleModelFactory(name="SUV X5")
    matching = OwnedVehicleFactory(owner=owner, model=suv)
    OwnedVehicleFactory(owner=owner)
    definition = _claimable(holder_type=Holder.VEHICLE)
    definition.claim_models.set([suv])
    assert _offers(owner_client)[definition.code].vehicles == [matching]


def test_a_claimed_series_counts_once_against_the_limit(owner, car, owner_client):
    definition = _claimable(
        holder_type=Holder.VEHICLE,
        per_holder_limit=1,
        series_count=3,
        series_step_months=1,
        validity_policy=VoucherDefinition.ValidityPolicy.DAYS_FROM_ISSUE,
    )
    _claim(owner_client, definition, vehicle=car)
    assert Voucher.objects.filter(vehicle=car).count() == 3
    offer = _offers(owner_client)[definition.code]
    assert offer.vehicles == []
    assert (
        "You have already claimed this voucher for each of your vehicles that can have it." in offer.blockers
    )


def test_the_claim_centre_issues_constant_queries(owner, car, owner_client, django_assert_max_num_queries):
    _claimable(holder_type=Holder.VEHICLE).claim_models.set([car.model])
    with django_assert_max_num_queries(50) as captured:
        owner_client.get(reverse("portal:claim_centre"))
    baseline = len(captured)
    for _ in range(15):
        _claimable(holder_type=Holder.VEHICLE, per_holder_limit=2).claim_models.set([car.model])
        _claimable(claim_min_tier=Tier.GOLD)
    with django_assert_max_num_queries(baseline):
        owner_client.get(reverse("portal:claim_centre"))
