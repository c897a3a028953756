"""Tiers: measured on the last 12 months; upgrades at once, downgrades only at the anniversary; history
and one message per change; the former static labels carried over."""

import importlib
from datetime import date, timedelta

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from campaigns.models import Notification
from loyalty.activity import Activity, member_activity
from loyalty.models import PointsAccount, Programme, TierChange, TierLevel, TierStanding
from loyalty.services import tier_evaluate, tiers_evaluate_all
from loyalty.tiers import anniversary_after, tier_reached
from members.models import Member
from redemption.models import Redemption
from shop.models import OrderRefund
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vehicles.models import Ownership, Visit
from vouchers.models import Order

from .conftest import at

pytestmark = pytest.mark.django_db
Kind = TierChange.Kind


@pytest.fixture
def levels(db):
    values = [(1, "一般", 0, 0), (2, "銀卡", 20_000, 4), (3, "金卡", 50_000, 8)]
    made = {}
    for rank, name, spend, visits in values:
        made[rank] = TierLevel.objects.update_or_create(
            rank=rank, defaults={"name": name, "spend_twd": spend, "visits": visits}
        )[0]
    TierLevel.objects.filter(rank__gt=3).delete()
    Programme.objects.update_or_create(pk=1, defaults={"tier_measure": Programme.Measure.EITHER})
    return made


def _member(joined, **kwargs) -> Member:
    member = MemberFactory(**kwargs)
    Member.objects.filter(pk=member.pk).update(created_at=joined)
    member.refresh_from_db()
    return member


def _spend(member, amount, when):
    return Order.objects.create(member=member, amount_twd=amount, status=Order.Status.ISSUED, paid_at=when)


def _standing(member) -> TierStanding:
    return TierStanding.objects.select_related("tier").get(account__member=member)


# --- pure rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "spend", "visits", "reached"),
    [
        ("spend", 20_000, 0, True),
        ("spend", 19_999, 9, False),
        ("visits", 0, 4, True),
        ("visits", 99_999, 3, False),
        ("either", 20_000, 0, True),
        ("either", 0, 4, True),
        ("either", 19_999, 3, False),
        ("both", 20_000, 3, False),
        ("both", 20_000, 4, True),
    ],
)
def test_a_tier_is_reached_by_its_measure(measure, spend, visits, reached):
    silver = TierLevel(rank=2, name="銀卡", spend_twd=20_000, visits=4)
    assert tier_reached(silver, Activity(spend_twd=spend, visits=visits), measure) is reached


def test_under_either_a_zero_threshold_is_not_a_way_in():
    spend_only = TierLevel(rank=2, name="x", spend_twd=20_000, visits=0)
    assert not tier_reached(spend_only, Activity(spend_twd=0, visits=0), "either")


def test_anniversaries_including_the_29th_of_february():
    assert anniversary_after(date(2020, 3, 5), date(2026, 3, 4)) == date(2026, 3, 5)
    assert anniversary_after(date(2020, 3, 5), date(2026, 3, 5)) == date(2027, 3, 5)
    assert anniversary_after(date(2020, 2, 29), date(2026, 1, 1)) == date(2026, 2, 28)


# --- activity ---------------------------------------------------------------------------------------------


def test_spend_counts_the_last_12_months_less_refunds(levels):
    member = MemberFactory()
    now = at(2026, 12, 6)
    _spend(member, 9_000, at(2025, 12, 5))  # 12 months and a day ago: outside
    inside = _spend(member, 12_000, at(2025, 12, 7))
    _spend(member, 3_000, at(2026, 11, 1))
    Order.objects.create(member=member, amount_twd=50_000, status=Order.Status.PENDING)  # never paid
    OrderRefund.objects.create(
        order=inside, status=OrderRefund.Status.APPROVED, value_twd=2_000, amount_twd=2_000, method="transfer"
    )
    assert member_activity(member_id=member.pk, now=now).spend_twd == 13_000


def test_a_visit_is_a_vehicle_on_a_day_while_the_member_owned_it(levels):
    member = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=member)
    Ownership.objects.filter(vehicle=vehicle).update(started_at=timezone.now() - timedelta(days=10))
    dealer = DealerFactory()
    today = timezone.localdate()
    # two repair orders today, one 3 days ago, one before they owned it, one over a year ago
    days = [today, today, today - timedelta(days=3), today - timedelta(days=20), today - timedelta(days=400)]
    for n, day in enumerate(days):
        Visit.objects.create(
            vehicle=vehicle, dealer=dealer, visited_on=day, repair_order=f"RO-{n}", source="api"
        )
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle)
    Redemption.objects.create(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        status=Redemption.Status.COMPLETED,
        completed_at=timezone.now(),
        redeemed_entry=voucher.ledger.first(),
    )
    someone_elses = OwnedVehicleFactory()
    Visit.objects.create(
        vehicle=someone_elses, dealer=dealer, visited_on=today, repair_order="X", source="api"
    )
    assert member_activity(member_id=member.pk, now=timezone.now()).visits == 2  # today (x3) and 3 days ago


# --- evaluation -------------------------------------------------------------------------------------------


def test_the_first_evaluation_places_the_member_without_a_message(levels, django_capture_on_commit_callbacks):
    member = _member(at(2024, 3, 5))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        change = tier_evaluate(member=member, now=at(2026, 12, 6))
    assert (change.kind, change.to_tier.rank) == (Kind.JOINED, 1)
    assert _standing(member).review_on == date(2027, 3, 5)
    assert callbacks == []


def test_an_upgrade_takes_effect_at_once_with_one_message(
    levels, monkeypatch, django_capture_on_commit_callbacks
):
    from django.utils.module_loading import import_string

    monkeypatch.setattr("campaigns.receivers.async_task", lambda func, *args: import_string(func)(*args))
    member = _member(at(2024, 3, 5), consent_service=True)
    tier_evaluate(member=member, now=at(2026, 12, 1))
    _spend(member, 52_000, at(2026, 12, 2))
    with django_capture_on_commit_callbacks(execute=True):
        change = tier_evaluate(member=member, now=at(2026, 12, 6))
    assert (change.kind, change.from_tier.rank, change.to_tier.rank, change.spend_twd) == (
        Kind.UPGRADED,
        1,
        3,
        52_000,
    )
    member.refresh_from_db()
    assert member.tier == 3
    message = Notification.objects.get(member=member)
    assert (message.purpose, message.template_key, message.dedup_key) == (
        "loyalty",
        "tier_upgraded",
        f"tier-change:{change.pk}",
    )
    assert "金卡" in message.body
    with django_capture_on_commit_callbacks(execute=True):
        assert tier_evaluate(member=member, now=at(2026, 12, 7)) is None  # nothing changed: no message
    assert Notification.objects.filter(member=member).count() == 1


def test_a_tier_message_respects_consent(levels, monkeypatch, django_capture_on_commit_callbacks):
    from django.utils.module_loading import import_string

    monkeypatch.setattr("campaigns.receivers.async_task", lambda func, *args: import_string(func)(*args))
    member = _member(at(2024, 3, 5), consent_service=False)
    tier_evaluate(member=member, now=at(2026, 12, 1))
    _spend(member, 22_000, at(2026, 12, 2))
    with django_capture_on_commit_callbacks(execute=True):
        tier_evaluate(member=member, now=at(2026, 12, 6))
    assert Notification.objects.get(member=member).status == Notification.Status.SKIPPED


def test_a_downgrade_waits_for_the_membership_anniversary(levels):
    member = _member(at(2020, 3, 5))
    _spend(member, 60_000, at(2025, 3, 1))
    assert tier_evaluate(member=member, now=at(2025, 3, 2)).to_tier.rank == 3  # joined at Gold
    assert _standing(member).review_on == date(2025, 3, 5)
    # The anniversary comes while the spend still counts: Gold is kept; the next review is a year on.
    assert tier_evaluate(member=member, now=at(2025, 3, 5)) is None
    assert _standing(member).review_on == date(2026, 3, 5)
    # The spend falls out of the window in March 2026: nothing happens until the anniversary.
    assert tier_evaluate(member=member, now=at(2026, 3, 3)) is None
    assert _standing(member).tier.rank == 3
    change = tier_evaluate(member=member, now=at(2026, 3, 5))
    assert (change.kind, change.from_tier.rank, change.to_tier.rank) == (Kind.DOWNGRADED, 3, 1)
    assert tier_evaluate(member=member, now=at(2026, 3, 6)) is None
    member.refresh_from_db()
    assert member.tier == 1


def test_a_missed_anniversary_run_downgrades_on_the_next_night(levels):
    member = _member(at(2020, 3, 5))
    _spend(member, 60_000, at(2025, 3, 1))
    tier_evaluate(member=member, now=at(2025, 3, 6))
    change = tier_evaluate(member=member, now=at(2026, 3, 9))
    assert change.kind == Kind.DOWNGRADED and _standing(member).review_on == date(2027, 3, 5)


def test_the_nightly_run_evaluates_every_member_but_erased_ones(levels):
    gold = _member(at(2020, 3, 5))
    _spend(gold, 60_000, at(2026, 12, 1))
    _member(at(2020, 3, 5))
    _member(at(2020, 3, 5), erased_at=at(2026, 1, 1), phone="", name="erased")
    counts = tiers_evaluate_all(now=at(2026, 12, 6))
    assert (counts["members"], counts[Kind.JOINED]) == (2, 2)
    _spend(gold, 0, at(2026, 12, 6))
    assert tiers_evaluate_all(now=at(2026, 12, 7))[Kind.JOINED] == 0


def test_no_tiers_defined_changes_nothing(db):
    TierLevel.objects.all().delete()
    assert tier_evaluate(member=MemberFactory()) is None
    assert not TierStanding.objects.exists()


# --- the former labels -------------------------------------------------------------------------------


def test_the_static_labels_are_carried_over_as_standings_with_history(levels):
    gold = _member(at(2021, 6, 1), tier=3)
    plain = _member(at(2021, 6, 1), tier=1)
    migration = importlib.import_module("loyalty.migrations.0003_tier_labels")
    migration.forwards(django_apps, None)
    assert _standing(gold).tier.rank == 3 and _standing(plain).tier.rank == 1
    assert TierChange.objects.get(account__member=gold).kind == Kind.MIGRATED
    assert PointsAccount.objects.get(member=gold).balance == 0
    migration.forwards(django_apps, None)  # twice changes nothing
    assert TierChange.objects.filter(account__member=gold).count() == 1
