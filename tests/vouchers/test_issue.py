"""voucher_issue, voucher_claim and order_issue: holders, validity, activation, stock, limits."""

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from members.actors import Actor, ActorKind
from members.models import Tier
from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles.services import vehicle_authorise_driver, vehicle_transfer_ownership
from vouchers.eligibility import Reason, voucher_ineligibility
from vouchers.exceptions import (
    ClaimRefused,
    DefinitionNotIssuable,
    HolderLimitReached,
    HolderMissing,
    InvalidQuantity,
    OrderNotIssuable,
    StockExhausted,
)
from vouchers.models import Bundle, BundleItem, LedgerEntry, Order, Voucher, VoucherDefinition
from vouchers.selectors import ledger_drift
from vouchers.services import order_issue, voucher_activate, voucher_claim, voucher_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read English messages; the site's default language is zh-Hant."""
    with translation.override("en"):
        yield


TAIPEI = ZoneInfo("Asia/Taipei")
Holder = VoucherDefinition.HolderType
Policy = VoucherDefinition.ValidityPolicy
Mode = VoucherDefinition.ActivationMode
Status = VoucherDefinition.Status
Source = Voucher.Source


def taipei(*args) -> datetime:
    return datetime(*args, tzinfo=TAIPEI)


def years_after(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def local(moment: datetime) -> datetime:
    return moment.astimezone(TAIPEI)


# --- holders -----------------------------------------------------------------------------------


def test_vehicle_held_voucher_belongs_to_the_car_only():
    vehicle = OwnedVehicleFactory()
    member = MemberFactory()

    [voucher] = voucher_issue(
        definition=DefinitionFactory(holder_type=Holder.VEHICLE),
        source=Source.MANUAL,
        vehicle=vehicle,
        member=member,
    )

    voucher.refresh_from_db()
    assert voucher.vehicle == vehicle
    assert voucher.member is None
    assert voucher.order is None


def test_member_held_voucher_belongs_to_the_member_only():
    member = MemberFactory()

    [voucher] = voucher_issue(
        definition=DefinitionFactory(holder_type=Holder.MEMBER),
        source=Source.MANUAL,
        member=member,
        vehicle=VehicleFactory(),
    )

    voucher.refresh_from_db()
    assert voucher.member == member
    assert voucher.vehicle is None


def test_member_vehicle_voucher_names_the_current_owner_and_the_car():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)

    [voucher] = voucher_issue(
        definition=DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE),
        source=Source.MANUAL,
        member=owner,
        vehicle=vehicle,
    )

    voucher.refresh_from_db()
    assert (voucher.member, voucher.vehicle) == (owner, vehicle)


@pytest.mark.parametrize("who", ["stranger", "driver", "former owner"])
def test_member_vehicle_voucher_is_refused_unless_the_member_owns_the_car_now(who):
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    member = MemberFactory()
    if who == "driver":
        vehicle_authorise_driver(vehicle=vehicle, member=member)
    elif who == "former owner":
        vehicle_transfer_ownership(vehicle=vehicle, new_owner=MemberFactory())
        member = owner
    definition = DefinitionFactory(holder_type=Holder.MEMBER_VEHICLE)

    with pytest.raises(HolderMissing):
        voucher_issue(definition=definition, source=Source.MANUAL, member=member, vehicle=vehicle)

    assert not Voucher.objects.filter(definition=definition).exists()
    definition.refresh_from_db()
    assert definition.stock_issued == 0


@pytest.mark.parametrize(
    ("holder_type", "given"),
    [
        (Holder.VEHICLE, {"member": "member"}),
        (Holder.MEMBER, {"vehicle": "vehicle"}),
        (Holder.MEMBER_VEHICLE, {"member": "member"}),
        (Holder.MEMBER_VEHICLE, {"vehicle": "vehicle"}),
        (Holder.ORDER, {"member": "member", "vehicle": "vehicle"}),
    ],
)
def test_a_missing_holder_is_refused(holder_type, given):
    member = MemberFactory()
    objects = {"member": member, "vehicle": OwnedVehicleFactory(owner=member)}
    definition = DefinitionFactory(holder_type=holder_type)

    with pytest.raises(HolderMissing):
        voucher_issue(
            definition=definition, source=Source.MANUAL, **{k: objects[v] for k, v in given.items()}
        )

    assert not Voucher.objects.filter(definition=definition).exists()


def test_order_held_voucher_is_issued_against_the_order():
    member = MemberFactory()
    order = Order.objects.create(member=member, amount_twd=3000, status=Order.Status.ISSUED)

    [voucher] = voucher_issue(
        definition=DefinitionFactory(holder_type=Holder.ORDER),
        source=Source.MANUAL,
        order=order,
        member=member,
    )

    voucher.refresh_from_db()
    assert voucher.order == order
    assert voucher.member == member


# --- validity ----------------------------------------------------------------------------------


def test_fixed_dates_run_from_the_start_of_the_first_day_to_the_end_of_the_last_day_in_taipei():
    definition = DefinitionFactory(
        validity_policy=Policy.FIXED, valid_from_date=date(2025, 1, 1), valid_until_date=date(2025, 12, 31)
    )
    vehicle = VehicleFactory()

    voucher = issue_voucher(definition, vehicle=vehicle, now=taipei(2024, 12, 20, 10, 0))

    voucher.refresh_from_db()
    assert voucher.valid_from == taipei(2025, 1, 1, 0, 0)
    assert local(voucher.valid_until).date() == date(2025, 12, 31)
    assert local(voucher.valid_until).time() >= time(23, 59, 59)

    def reasons_at(moment):
        return voucher_ineligibility(voucher, vehicle=vehicle, dealer=None, now=moment)

    assert reasons_at(taipei(2024, 12, 31, 23, 59, 59)) == [Reason.NOT_YET_VALID]
    assert reasons_at(taipei(2025, 1, 1, 0, 0, 0)) == []
    assert reasons_at(taipei(2025, 12, 31, 23, 59, 59)) == []  # the last day counts in full
    assert reasons_at(taipei(2026, 1, 1, 0, 0, 0)) == [Reason.EXPIRED]


def test_fixed_dates_without_a_start_run_from_issue():
    definition = DefinitionFactory(validity_policy=Policy.FIXED, valid_until_date=date(2025, 12, 31))
    now = taipei(2025, 6, 1, 9, 30)

    voucher = issue_voucher(definition, vehicle=VehicleFactory(), now=now)

    assert voucher.valid_from == now
    assert local(voucher.valid_until).date() == date(2025, 12, 31)


def test_days_from_issue_ends_at_the_end_of_the_nth_day_after_issue():
    definition = DefinitionFactory(validity_policy=Policy.DAYS_FROM_ISSUE, validity_days=30)
    # 23:30 in Taipei is still the same local day although UTC has another date.
    now = taipei(2025, 3, 10, 23, 30)

    voucher = issue_voucher(definition, vehicle=VehicleFactory(), now=now)

    voucher.refresh_from_db()
    assert voucher.valid_from == now
    assert local(voucher.valid_until).date() == date(2025, 3, 10) + timedelta(days=30)
    assert local(voucher.valid_until).time() >= time(23, 59, 59)


def test_days_from_activation_has_no_window_until_activated():
    definition = DefinitionFactory(
        validity_policy=Policy.DAYS_FROM_ACTIVATION, validity_days=14, activation_mode=Mode.HOLDER
    )
    issued = taipei(2025, 1, 5, 12, 0)

    voucher = issue_voucher(definition, vehicle=VehicleFactory(), now=issued)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.INACTIVE
    assert voucher.valid_from is None
    assert voucher.valid_until is None


def test_days_from_activation_window_starts_at_activation():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    definition = DefinitionFactory(
        validity_policy=Policy.DAYS_FROM_ACTIVATION, validity_days=14, activation_mode=Mode.HOLDER
    )
    voucher = issue_voucher(definition, vehicle=vehicle, now=taipei(2025, 1, 5, 12, 0))
    activated = taipei(2025, 4, 20, 18, 0)

    voucher_activate(voucher=voucher, via="holder", member=owner, now=activated)

    voucher.refresh_from_db()
    assert voucher.activated_at == activated
    assert voucher.valid_from == activated
    assert local(voucher.valid_until).date() == date(2025, 4, 20) + timedelta(days=14)
    assert ledger_drift().count() == 0


def test_days_from_activation_with_automatic_activation_starts_at_issue():
    definition = DefinitionFactory(validity_policy=Policy.DAYS_FROM_ACTIVATION, validity_days=7)
    now = taipei(2025, 2, 1, 8, 0)

    voucher = issue_voucher(definition, vehicle=VehicleFactory(), now=now)

    assert voucher.status == Voucher.Status.ACTIVE
    assert voucher.valid_from == now
    assert local(voucher.valid_until).date() == date(2025, 2, 8)


@pytest.mark.parametrize("delivery", [date(2024, 5, 10), date(2024, 2, 29), date(2023, 12, 31)])
def test_delivery_window_series_gives_one_voucher_per_year_after_delivery(delivery):
    vehicle = OwnedVehicleFactory(delivery_date=delivery)
    definition = DefinitionFactory(
        holder_type=Holder.VEHICLE,
        category=VoucherDefinition.Category.MAINTENANCE,
        validity_policy=Policy.DELIVERY_WINDOW,
        series_count=12,
        delivery_window_months=12,
        series_step_months=12,
    )

    vouchers = voucher_issue(definition=definition, source=Source.MANUAL, vehicle=vehicle)

    assert len(vouchers) == 12
    assert sorted(v.series_index for v in vouchers) == list(range(12))
    for voucher in vouchers:
        k = voucher.series_index
        assert local(voucher.valid_from).date() == years_after(delivery, k)
        assert local(voucher.valid_from).time() == time(0, 0)
        assert local(voucher.valid_until).date() == years_after(delivery, k + 1) - timedelta(days=1)
        assert local(voucher.valid_until).time() >= time(23, 59, 59)
    definition.refresh_from_db()
    assert definition.stock_issued == 1  # one pack, twelve vouchers
    assert ledger_drift().count() == 0


@pytest.mark.parametrize(
    ("delivery", "step"), [(date(2024, 2, 29), 12), (date(2024, 8, 31), 6), (date(2025, 1, 31), 1)]
)
def test_delivery_window_series_leaves_no_day_uncovered(delivery, step):
    vehicle = VehicleFactory(delivery_date=delivery)
    definition = DefinitionFactory(
        validity_policy=Policy.DELIVERY_WINDOW,
        series_count=8,
        delivery_window_months=step,
        series_step_months=step,
    )

    vouchers = sorted(
        voucher_issue(definition=definition, source=Source.MANUAL, vehicle=vehicle),
        key=lambda v: v.series_index,
    )

    assert local(vouchers[0].valid_from).date() == delivery
    for previous, following in pairwise(vouchers):
        assert local(following.valid_from).date() == local(previous.valid_until).date() + timedelta(days=1)


def test_delivery_window_offset_shifts_the_first_window():
    delivery = date(2024, 5, 10)
    definition = DefinitionFactory(
        validity_policy=Policy.DELIVERY_WINDOW, delivery_offset_months=6, delivery_window_months=3
    )

    voucher = issue_voucher(definition, vehicle=VehicleFactory(delivery_date=delivery))

    assert local(voucher.valid_from).date() == date(2024, 11, 10)
    assert local(voucher.valid_until).date() == date(2025, 2, 9)


def test_delivery_window_is_refused_when_the_vehicle_has_no_delivery_date():
    definition = DefinitionFactory(validity_policy=Policy.DELIVERY_WINDOW, series_count=3)

    with pytest.raises(HolderMissing) as caught:
        voucher_issue(definition=definition, source=Source.MANUAL, vehicle=VehicleFactory(delivery_date=None))

    assert "delivery" in caught.value.message
    assert not Voucher.objects.filter(definition=definition).exists()
    definition.refresh_from_db()
    assert definition.stock_issued == 0


def test_no_expiry_has_no_end():
    now = timezone.now()

    voucher = issue_voucher(
        DefinitionFactory(validity_policy=Policy.NO_EXPIRY), vehicle=VehicleFactory(), now=now
    )

    voucher.refresh_from_db()
    assert voucher.valid_until is None
    assert voucher.valid_from == now


# --- activation mode ---------------------------------------------------------------------------


def test_automatic_activation_issues_active_vouchers():
    now = timezone.now()

    voucher = issue_voucher(
        DefinitionFactory(activation_mode=Mode.AUTOMATIC), vehicle=VehicleFactory(), now=now
    )

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.ACTIVE
    assert voucher.activated_at == now


@pytest.mark.parametrize("mode", [Mode.HOLDER, Mode.PARTNER, Mode.OPERATIONS])
def test_other_activation_modes_issue_inactive_vouchers(mode):
    voucher = issue_voucher(DefinitionFactory(activation_mode=mode), vehicle=VehicleFactory())

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.INACTIVE
    assert voucher.activated_at is None


# --- stock, limits, quantity -------------------------------------------------------------------


def test_stock_is_counted_and_refused_when_exhausted():
    definition = DefinitionFactory(stock_total=2)

    voucher_issue(definition=definition, source=Source.MANUAL, vehicle=VehicleFactory())
    voucher_issue(definition=definition, source=Source.MANUAL, vehicle=VehicleFactory())
    assert definition.stock_issued == 2
    with pytest.raises(StockExhausted):
        voucher_issue(definition=definition, source=Source.MANUAL, vehicle=VehicleFactory())

    definition.refresh_from_db()
    assert definition.stock_issued == 2
    assert definition.stock_left == 0
    assert Voucher.objects.filter(definition=definition).count() == 2


def test_a_quantity_larger_than_the_stock_left_issues_nothing():
    definition = DefinitionFactory(stock_total=3)
    voucher_issue(definition=definition, source=Source.MANUAL, vehicle=VehicleFactory())

    with pytest.raises(StockExhausted):
        voucher_issue(definition=definition, source=Source.MANUAL, vehicle=VehicleFactory(), quantity=3)

    definition.refresh_from_db()
    assert definition.stock_issued == 1
    assert Voucher.objects.filter(definition=definition).count() == 1


def test_per_holder_limit_is_enforced_per_holder():
    definition = DefinitionFactory(per_holder_limit=2)
    vehicle, other = VehicleFactory(), VehicleFactory()

    voucher_issue(definition=definition, source=Source.MANUAL, vehicle=vehicle, quantity=2)
    with pytest.raises(HolderLimitReached):
        voucher_issue(definition=definition, source=Source.MANUAL, vehicle=vehicle)
    voucher_issue(definition=definition, source=Source.MANUAL, vehicle=other)

    assert Voucher.objects.filter(definition=definition, vehicle=vehicle).count() == 2
    assert Voucher.objects.filter(definition=definition, vehicle=other).count() == 1


def test_per_holder_limit_counts_packs_not_the_vouchers_of_a_series():
    definition = DefinitionFactory(per_holder_limit=1, validity_policy=Policy.DELIVERY_WINDOW, series_count=3)
    vehicle = VehicleFactory()

    assert len(voucher_issue(definition=definition, source=Source.MANUAL, vehicle=vehicle)) == 3
    with pytest.raises(HolderLimitReached):
        voucher_issue(definition=definition, source=Source.MANUAL, vehicle=vehicle)


def test_per_holder_limit_for_member_holders():
    definition = DefinitionFactory(holder_type=Holder.MEMBER, per_holder_limit=1)
    member = MemberFactory()
    voucher_issue(definition=definition, source=Source.MANUAL, member=member)

    with pytest.raises(HolderLimitReached):
        voucher_issue(definition=definition, source=Source.MANUAL, member=member)

    assert voucher_issue(definition=definition, source=Source.MANUAL, member=MemberFactory())


def test_quantity_issues_that_many_vouchers():
    definition = DefinitionFactory()

    vouchers = voucher_issue(
        definition=definition, source=Source.MANUAL, vehicle=VehicleFactory(), quantity=3
    )

    assert len(vouchers) == 3
    assert len({v.code for v in vouchers}) == 3
    definition.refresh_from_db()
    assert definition.stock_issued == 3


@pytest.mark.parametrize("quantity", [0, -1, 101])
def test_quantity_out_of_range_is_refused(quantity):
    definition = DefinitionFactory()

    with pytest.raises(InvalidQuantity):
        voucher_issue(
            definition=definition, source=Source.MANUAL, vehicle=VehicleFactory(), quantity=quantity
        )

    assert not Voucher.objects.filter(definition=definition).exists()


# --- issuability -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.PAUSED, Status.ARCHIVED])
def test_unpublished_definitions_are_not_issued(status):
    definition = DefinitionFactory(status=status)

    with pytest.raises(DefinitionNotIssuable):
        voucher_issue(definition=definition, source=Source.MANUAL, vehicle=VehicleFactory())

    assert not Voucher.objects.filter(definition=definition).exists()


@pytest.mark.parametrize(
    ("channel", "source"),
    [
        ("channel_manual", Source.MANUAL),
        ("channel_manual", Source.BULK),
        ("channel_claim", Source.CLAIM),
        ("channel_event", Source.EVENT),
        ("channel_event", Source.CAMPAIGN),
        ("channel_api", Source.API),
        ("channel_bundle", Source.BUNDLE),
    ],
)
def test_a_closed_channel_is_refused(channel, source):
    definition = DefinitionFactory(**{channel: False})

    with pytest.raises(DefinitionNotIssuable):
        voucher_issue(definition=definition, source=source, vehicle=VehicleFactory())

    assert not Voucher.objects.filter(definition=definition).exists()


def test_an_open_channel_issues_with_its_source():
    definition = DefinitionFactory(channel_manual=False, channel_api=True)

    voucher = issue_voucher(definition, source=Source.API, vehicle=VehicleFactory())

    assert voucher.source == Source.API


# --- idempotency and ledger --------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_vouchers_and_issues_nothing_more():
    definition = DefinitionFactory(stock_total=10)
    vehicle = VehicleFactory()

    first = voucher_issue(
        definition=definition, source=Source.API, vehicle=vehicle, quantity=2, idempotency_key="shop:42"
    )
    again = voucher_issue(
        definition=definition, source=Source.API, vehicle=vehicle, quantity=2, idempotency_key="shop:42"
    )

    assert sorted(v.pk for v in again) == sorted(v.pk for v in first)
    assert Voucher.objects.filter(definition=definition).count() == 2
    assert LedgerEntry.objects.filter(voucher__definition=definition).count() == 2
    definition.refresh_from_db()
    assert definition.stock_issued == 2


def test_another_idempotency_key_issues_again():
    definition = DefinitionFactory()
    vehicle = VehicleFactory()

    first = voucher_issue(definition=definition, source=Source.API, vehicle=vehicle, idempotency_key="a")
    second = voucher_issue(definition=definition, source=Source.API, vehicle=vehicle, idempotency_key="b")

    assert first[0].pk != second[0].pk
    assert Voucher.objects.filter(definition=definition).count() == 2


def test_each_voucher_gets_one_issued_entry_with_its_uses():
    definition = DefinitionFactory(uses_per_voucher=5)
    actor_vehicle = VehicleFactory()
    now = timezone.now()

    vouchers = voucher_issue(
        definition=definition,
        source=Source.MANUAL,
        vehicle=actor_vehicle,
        quantity=3,
        actor=Actor(ActorKind.OPERATIONS, name="alice"),
        reason="launch campaign",
        now=now,
    )

    for voucher in vouchers:
        entries = list(voucher.ledger.all())
        assert len(entries) == 1
        [entry] = entries
        assert entry.kind == LedgerEntry.Kind.ISSUED
        assert entry.delta == voucher.uses_total == voucher.uses_left == 5
        assert entry.status_before == ""
        assert entry.status_after == Voucher.Status.ACTIVE
        assert entry.uses_left_after == 5
        assert entry.actor_label == "admin:alice"
        assert entry.reason == "launch campaign"
        assert entry.created_at == now
        assert entry.data == {"source": Source.MANUAL}
    assert ledger_drift().count() == 0


# --- voucher_claim -----------------------------------------------------------------------------


def claimable(**kwargs):
    return DefinitionFactory(**{"channel_claim": True, **kwargs})


def test_an_owner_claims_a_voucher_for_their_car():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    definition = claimable(claim_owners_only=True)

    [voucher] = voucher_claim(definition=definition, member=owner, vehicle=vehicle)

    voucher.refresh_from_db()
    assert voucher.vehicle == vehicle
    assert voucher.source == Source.CLAIM
    assert voucher.ledger.get().actor_label == f"owner:{owner.pk}"
    assert ledger_drift().count() == 0


def test_a_driver_may_claim_a_vehicle_voucher_when_owners_only_is_off():
    driver = MemberFactory()
    vehicle = OwnedVehicleFactory()
    vehicle_authorise_driver(vehicle=vehicle, member=driver)

    [voucher] = voucher_claim(definition=claimable(), member=driver, vehicle=vehicle)

    assert voucher.vehicle == vehicle


def test_a_member_voucher_is_claimed_without_a_vehicle():
    member = MemberFactory()

    [voucher] = voucher_claim(definition=claimable(holder_type=Holder.MEMBER), member=member)

    assert voucher.member == member


def _refused(definition, *, member, vehicle=None, now=None) -> str:
    with translation.override("en"), pytest.raises(ClaimRefused) as caught:
        voucher_claim(definition=definition, member=member, vehicle=vehicle, now=now)
    assert not Voucher.objects.filter(definition=definition).exists()
    with translation.override("en"):
        return caught.value.message


def test_claim_refused_when_the_tier_is_too_low():
    member = MemberFactory(tier=Tier.SILVER)
    vehicle = OwnedVehicleFactory(owner=member)
    definition = claimable(claim_min_tier=Tier.GOLD)

    assert "tier" in _refused(definition, member=member, vehicle=vehicle)
    member.tier = Tier.GOLD
    assert voucher_claim(definition=definition, member=member, vehicle=vehicle)


def test_claim_refused_for_drivers_when_owners_only():
    driver = MemberFactory()
    vehicle = OwnedVehicleFactory()
    vehicle_authorise_driver(vehicle=vehicle, member=driver)

    assert "owners" in _refused(claimable(claim_owners_only=True), member=driver, vehicle=vehicle)


def test_member_voucher_claim_refused_for_members_without_a_car_when_owners_only():
    member = MemberFactory()

    assert "owners" in _refused(claimable(holder_type=Holder.MEMBER, claim_owners_only=True), member=member)


def test_claim_refused_for_other_vehicle_models():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    definition = claimable()
    definition.claim_models.add(VehicleModelFactory())

    assert "models" in _refused(definition, member=owner, vehicle=vehicle)
    definition.claim_models.add(vehicle.model)
    assert voucher_claim(definition=definition, member=owner, vehicle=vehicle)


def test_claim_refused_before_the_window_opens_and_after_it_closes():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    now = timezone.now()
    definition = claimable(claim_starts_at=now + timedelta(days=1), claim_ends_at=now + timedelta(days=10))

    assert "not started" in _refused(definition, member=owner, vehicle=vehicle, now=now)
    assert "ended" in _refused(definition, member=owner, vehicle=vehicle, now=now + timedelta(days=11))
    assert voucher_claim(definition=definition, member=owner, vehicle=vehicle, now=now + timedelta(days=2))


def test_claim_refused_for_a_vehicle_that_is_not_the_members():
    member = MemberFactory()
    OwnedVehicleFactory(owner=member)
    someone_elses = OwnedVehicleFactory()

    assert "your own" in _refused(claimable(), member=member, vehicle=someone_elses)


def test_claim_refused_without_the_vehicle_a_vehicle_voucher_needs():
    member = MemberFactory()
    OwnedVehicleFactory(owner=member)

    assert "vehicle" in _refused(claimable(), member=member)


def test_claim_refused_when_the_claim_channel_is_closed():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)

    assert "not open" in _refused(claimable(channel_claim=False), member=owner, vehicle=vehicle)
    assert "not open" in _refused(claimable(status=Status.PAUSED), member=owner, vehicle=vehicle)


def test_claim_honours_the_per_holder_limit_and_idempotency():
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    definition = claimable(per_holder_limit=1)

    first = voucher_claim(definition=definition, member=owner, vehicle=vehicle, idempotency_key="tap-1")
    replay = voucher_claim(definition=definition, member=owner, vehicle=vehicle, idempotency_key="tap-1")
    with pytest.raises(HolderLimitReached):
        voucher_claim(definition=definition, member=owner, vehicle=vehicle, idempotency_key="tap-2")

    assert [v.pk for v in replay] == [v.pk for v in first]
    assert Voucher.objects.filter(definition=definition).count() == 1


# --- order_issue -----------------------------------------------------------------------------


def test_approving_an_order_issues_its_pack_once():
    member = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=member)
    wash = DefinitionFactory(channel_bundle=True, validity_policy=Policy.NO_EXPIRY)
    coating = DefinitionFactory(channel_bundle=True, validity_policy=Policy.NO_EXPIRY, uses_per_voucher=2)
    bundle = Bundle.objects.create(code="care-pack", name="Care pack", price_twd=5000)
    BundleItem.objects.create(bundle=bundle, definition=wash, quantity=3)
    BundleItem.objects.create(bundle=bundle, definition=coating, quantity=1)
    order = Order.objects.create(member=member, vehicle=vehicle, bundle=bundle, amount_twd=5000)

    issued = order_issue(order=order)
    again = order_issue(order=order)

    order.refresh_from_db()
    assert order.status == Order.Status.ISSUED
    assert order.issued_at is not None
    assert len(issued) == 4
    assert sorted(v.pk for v in again) == sorted(v.pk for v in issued)
    assert Voucher.objects.filter(order=order, definition=wash).count() == 3
    assert Voucher.objects.filter(order=order, definition=coating).count() == 1
    assert {v.source for v in issued} == {Source.BUNDLE}
    assert ledger_drift().count() == 0
    # The order's amount is split over its vouchers and adds up exactly.
    assert sum(Voucher.objects.filter(order=order).values_list("amount_paid_twd", flat=True)) == 5000


def test_an_order_for_a_paid_voucher_issues_its_quantity_and_splits_the_amount():
    member = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=member)
    wash = DefinitionFactory(
        kind="paid", channel_shop=True, face_value_twd=333, validity_policy=Policy.NO_EXPIRY
    )
    order = Order.objects.create(
        member=member, vehicle=vehicle, definition=wash, quantity=3, unit_price_twd=333, amount_twd=1000
    )

    issued = order_issue(order=order)

    assert len(issued) == 3
    assert sorted(v.amount_paid_twd for v in Voucher.objects.filter(order=order)) == [333, 333, 334]


@pytest.mark.parametrize("status", [Order.Status.CANCELLED, Order.Status.EXPIRED, Order.Status.REFUNDED])
def test_a_cancelled_expired_or_refunded_order_issues_nothing(status):
    order = Order.objects.create(member=MemberFactory(), status=status)

    with pytest.raises(OrderNotIssuable):
        order_issue(order=order)

    order.refresh_from_db()
    assert order.status == status
    assert not order.vouchers.exists()
