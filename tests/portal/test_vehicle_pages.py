"""My vehicles, a vehicle's wallet and its service history: what an owner (and only they) sees."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from members.actors import Actor
from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles.services import vehicle_authorise_driver, vehicle_transfer_ownership
from vouchers.models import Voucher, VoucherDefinition
from vouchers.services import voucher_issue, voucher_void

from .conftest import english_client, sign_in

pytestmark = pytest.mark.django_db
Holder = VoucherDefinition.HolderType


def _redeem(voucher, vehicle, *, dealer=None, km=None, key="use", now=None):
    return redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer or DealerFactory(),
        idempotency_key=key,
        mileage_km=km,
        actor=Actor.system("test"),
        now=now,
    )


def test_my_vehicles_lists_owned_and_driven_cars_only(owner, other, owner_client):
    mine = OwnedVehicleFactory(owner=owner, model=VehicleModelFactory(name="SUV X5"))
    driven = OwnedVehicleFactory(owner=other)
    vehicle_authorise_driver(vehicle=driven, member=owner)
    foreign = OwnedVehicleFactory(owner=other)

    html = owner_client.get(reverse("portal:home")).content.decode()

    assert mine.plate in html and "SUV X5" in html and "Owner" in html
    assert driven.plate in html and "Authorised driver" in html
    assert foreign.plate not in html


def test_vehicle_summary_counts_usable_vouchers_uses_left_and_the_nearest_expiry(owner, car, owner_client):
    now = timezone.now()
    pack = DefinitionFactory(uses_per_voucher=5, validity_days=300)
    single = DefinitionFactory(validity_days=10)
    partly_used = issue_voucher(pack, vehicle=car)
    _redeem(partly_used, car, key="a")
    _redeem(partly_used, car, key="b")
    soonest = issue_voucher(single, vehicle=car)
    _redeem(issue_voucher(single, vehicle=car), car, key="c")  # used up
    issue_voucher(single, vehicle=car, now=now - timedelta(days=40))  # past its end, not yet swept
    voucher_void(voucher=issue_voucher(single, vehicle=car), reason="test", actor=Actor.system("test"))

    response = owner_client.get(reverse("portal:home"))

    [item] = response.context["vehicles"]
    assert (item.summary.usable, item.summary.uses_left) == (2, 4)
    assert item.summary.nearest_expiry == soonest.valid_until


def test_wallet_shows_the_cars_vouchers_and_my_member_vouchers(owner, other, car, owner_client):
    vehicle_authorise_driver(vehicle=car, member=other)
    car_voucher = issue_voucher(DefinitionFactory(card_title="Premium wash", uses_per_voucher=6), vehicle=car)
    mine = issue_voucher(
        DefinitionFactory(holder_type=Holder.MEMBER, card_title="Birthday gift"), member=owner
    )
    drivers = issue_voucher(
        DefinitionFactory(holder_type=Holder.MEMBER, card_title="Driver's own"), member=other
    )

    response = owner_client.get(reverse("portal:vehicle", args=[car.pk]))
    html = response.content.decode()

    assert [e["voucher"] for e in response.context["car_current"]] == [car_voucher]
    assert [e["voucher"] for e in response.context["member_current"]] == [mine]
    assert "Premium wash" in html and "6 / 6" in html and "Birthday gift" in html
    assert reverse("portal:voucher", args=[car_voucher.pk]) in html
    assert "Driver&#x27;s own" not in html and reverse("portal:voucher", args=[drivers.pk]) not in html


def test_used_expired_and_voided_vouchers_are_kept_apart_with_their_badges(owner, car, owner_client):
    now = timezone.now()
    definition = DefinitionFactory()
    used = issue_voucher(definition, vehicle=car)
    _redeem(used, car)
    lapsed = issue_voucher(definition, vehicle=car, now=now - timedelta(days=45))
    voided = issue_voucher(definition, vehicle=car)
    voucher_void(voucher=voided, reason="duplicate", actor=Actor.system("test"))

    response = owner_client.get(reverse("portal:vehicle", args=[car.pk]))

    badges = {e["voucher"].pk: e["card"].right_badge[1] for e in response.context["past"]}
    assert {k: str(v) for k, v in badges.items()} == {
        used.pk: "Used",
        lapsed.pk: "Expired",
        voided.pk: "Voided",
    }
    assert response.context["car_current"] == []


def test_a_driver_sees_the_car_vouchers_but_not_the_owners_personal_ones(owner, other, car):
    vehicle_authorise_driver(vehicle=car, member=other)
    car_voucher = issue_voucher(DefinitionFactory(), vehicle=car)
    owners_own = issue_voucher(DefinitionFactory(holder_type=Holder.MEMBER), member=owner)
    first_owner = issue_voucher(
        DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE), member=owner, vehicle=car
    )
    client = sign_in(english_client(), other)

    response = client.get(reverse("portal:vehicle", args=[car.pk]))

    shown = {e["voucher"] for e in response.context["car_current"] + response.context["member_current"]}
    assert shown == {car_voucher, first_owner}  # the first-owner benefit is used with the car
    assert client.get(reverse("portal:voucher", args=[owners_own.pk])).status_code == 404


def test_after_a_sale_the_previous_owners_benefits_stay_private(owner, other, car):
    stays = issue_voucher(DefinitionFactory(), vehicle=car)
    benefit = issue_voucher(DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE), member=owner, vehicle=car)
    vehicle_transfer_ownership(vehicle=car, new_owner=other)
    new_owner = sign_in(english_client(), other)

    response = new_owner.get(reverse("portal:vehicle", args=[car.pk]))

    shown = {e["voucher"] for e in response.context["car_current"] + response.context["past"]}
    assert shown == {stays}
    assert new_owner.get(reverse("portal:voucher", args=[benefit.pk])).status_code == 404
    # and the seller no longer reaches the car at all
    assert sign_in(english_client(), owner).get(reverse("portal:vehicle", args=[car.pk])).status_code == 404


def test_service_history_is_a_timeline_of_uses_with_dealer_and_mileage(owner, car, owner_client):
    dealer = DealerFactory(name="台北內湖服務廠")
    pack = DefinitionFactory(uses_per_voucher=3, card_title="Wash pack")
    earlier = timezone.now() - timedelta(days=20)
    voucher = issue_voucher(pack, vehicle=car, now=earlier - timedelta(days=1))
    _redeem(voucher, car, dealer=dealer, km=12345, key="one", now=earlier)
    _redeem(voucher, car, dealer=dealer, km=15000, key="two")

    response = owner_client.get(reverse("portal:vehicle_history", args=[car.pk]))
    html = response.content.decode()

    assert [u.mileage_km for u in response.context["page"].object_list] == [15000, 12345]
    assert "12,345 km" in html and "15,000 km" in html and "台北內湖服務廠" in html and "Wash pack" in html


def test_service_history_shows_workshop_visits_beside_the_redemptions(car, owner_client):
    from datetime import date

    from vehicles.models import Visit
    from vehicles.services import Origin, visit_record

    visit_record(
        vehicle=car,
        dealer=DealerFactory(name="台中服務廠"),
        visited_on=date(2026, 3, 1),
        repair_order="RO-4711",
        kind=Visit.Kind.MAINTENANCE,
        mileage_km=21000,
        origin=Origin(source=Visit.Source.IMPORT, label="dms.csv"),
    )

    html = owner_client.get(reverse("portal:vehicle_history", args=[car.pk])).content.decode()

    assert "RO-4711" in html and "台中服務廠" in html and "21,000 km" in html and "Maintenance" in html


def test_service_history_is_paginated(owner, car, owner_client):
    definition = DefinitionFactory(uses_per_voucher=35)
    voucher = issue_voucher(definition, vehicle=car)
    dealer = DealerFactory()
    for i in range(35):
        _redeem(voucher, car, dealer=dealer, key=f"k{i}", km=1000 + i)
    first = owner_client.get(reverse("portal:vehicle_history", args=[car.pk]))
    second = owner_client.get(reverse("portal:vehicle_history", args=[car.pk]), {"page": 2})
    assert len(first.context["page"].object_list) == 30
    assert len(second.context["page"].object_list) == 5


def _fill_wallet(owner, car, count: int) -> None:
    model = VehicleModelFactory()
    dealer = DealerFactory()
    definitions = [DefinitionFactory(uses_per_voucher=2) for _ in range(3)]
    definitions[0].allowed_models.set([model, car.model])
    definitions[1].allowed_dealers.set([dealer])
    member_held = DefinitionFactory(holder_type=Holder.MEMBER)
    left = count
    while left:
        batch = min(left, 100)
        definition = definitions[left % 3] if left % 4 else member_held
        holder = {"member": owner} if definition is member_held else {"vehicle": car}
        voucher_issue(definition=definition, source=Voucher.Source.MANUAL, quantity=batch, **holder)
        left -= batch


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_wallet_page_issues_the_same_number_of_queries_for_1_and_300_vouchers(
    owner, car, owner_client, django_assert_max_num_queries
):
    url = reverse("portal:vehicle", args=[car.pk])
    _fill_wallet(owner, car, 1)
    with_one = _queries(owner_client, url)
    other = OwnedVehicleFactory(owner=MemberFactory())
    _fill_wallet(other.ownerships.get().member, other, 300)  # someone else's: must not matter
    _fill_wallet(owner, car, 299)
    assert (
        len(owner_client.get(url).context["car_current"])
        + len(owner_client.get(url).context["member_current"])
        == 300
    )
    with django_assert_max_num_queries(with_one):
        owner_client.get(url)


# Session, member, vehicle, vouchers, their definitions (one instance each), the definitions'
# allowed models and dealers (one query for both).
MAX_WALLET_QUERIES = 6


def test_the_wallet_of_300_vouchers_costs_six_queries(
    owner, car, owner_client, django_assert_max_num_queries
):
    _fill_wallet(owner, car, 300)
    url = reverse("portal:vehicle", args=[car.pk])
    owner_client.get(url)  # the first request of a session may also write the session
    with django_assert_max_num_queries(MAX_WALLET_QUERIES):
        response = owner_client.get(url)
    assert len(response.context["car_current"]) + len(response.context["member_current"]) == 300


def test_member_wallet_and_my_vehicles_issue_constant_queries(
    owner, owner_client, django_assert_max_num_queries
):
    first = OwnedVehicleFactory(owner=owner)
    issue_voucher(DefinitionFactory(holder_type=Holder.MEMBER), member=owner)
    issue_voucher(DefinitionFactory(), vehicle=first)
    wallet_one = _queries(owner_client, reverse("portal:wallet"))
    home_one = _queries(owner_client, reverse("portal:home"))
    for _ in range(5):
        _fill_wallet(owner, OwnedVehicleFactory(owner=owner), 40)
    assert len(owner_client.get(reverse("portal:wallet")).context["current"]) > 40
    assert len(owner_client.get(reverse("portal:home")).context["vehicles"]) == 6
    with django_assert_max_num_queries(wallet_one):
        owner_client.get(reverse("portal:wallet"))
    with django_assert_max_num_queries(home_one):
        owner_client.get(reverse("portal:home"))
