"""The points ledger: credits in lots, debits oldest-expiring first, expiry, returns, reversals."""

import pytest

from loyalty.exceptions import AlreadyReturned, InsufficientPoints, PointsMustChange, ReasonRequired
from loyalty.models import LotUse, PointsAccount, PointsEntry, PointsLot
from loyalty.selectors import points_drift
from loyalty.services import (
    points_adjust,
    points_credit,
    points_debit,
    points_expire_due,
    points_return,
    points_reverse,
)
from members.actors import Actor
from tests.factories import MemberFactory, UserFactory

from .conftest import SYSTEM, at

pytestmark = pytest.mark.django_db
Kind = PointsEntry.Kind


def _earn(member, points, when, key=None):
    return points_credit(member=member, kind=Kind.BONUS, points=points, key=key, actor=SYSTEM, now=when)


def _balance(member) -> int:
    return PointsAccount.objects.get(member=member).balance


def _assert_reconciles():
    accounts, lots = points_drift()
    assert list(accounts) == [] and list(lots) == []


def test_a_credit_opens_the_account_and_a_lot_that_expires_after_the_programme_months(rules):
    member = MemberFactory()
    entry = _earn(member, 120, at(2026, 1, 31))
    assert (entry.delta, entry.balance_after) == (120, 120)
    lot = PointsLot.objects.get(entry=entry)
    assert (lot.points, lot.remaining) == (120, 120)
    assert lot.expires_at == at(2027, 1, 31)
    _assert_reconciles()


def test_expiry_month_end_falls_back_to_the_last_day(rules):
    from loyalty.models import Programme

    Programme.objects.filter(pk=1).update(expiry_months=1)
    lot = PointsLot.objects.get(entry=_earn(MemberFactory(), 5, at(2026, 1, 31)))
    assert lot.expires_at == at(2026, 2, 28)


def test_a_replayed_key_earns_once(rules):
    member = MemberFactory()
    first = _earn(member, 10, at(2026, 1, 1), key="order:1")
    again = _earn(member, 10, at(2026, 1, 2), key="order:1")
    assert again.pk == first.pk and getattr(again, "replayed", False)
    assert _balance(member) == 10


def test_nothing_to_earn_writes_nothing(rules):
    member = MemberFactory()
    assert _earn(member, 0, at(2026, 1, 1)) is None
    assert not PointsEntry.objects.exists()


def test_debits_draw_from_the_oldest_expiring_lots_first(rules):
    member = MemberFactory()
    old = _earn(member, 30, at(2026, 1, 1))
    new = _earn(member, 50, at(2026, 3, 1))
    spent = points_debit(member=member, points=40, actor=SYSTEM, now=at(2026, 4, 1))
    assert (spent.delta, spent.balance_after) == (-40, 40)
    assert PointsLot.objects.get(entry=old).remaining == 0
    assert PointsLot.objects.get(entry=new).remaining == 40
    assert sorted(LotUse.objects.filter(entry=spent).values_list("points", flat=True)) == [10, 30]
    _assert_reconciles()


def test_a_debit_larger_than_the_balance_is_refused_and_changes_nothing(rules):
    member = MemberFactory()
    _earn(member, 30, at(2026, 1, 1))
    with pytest.raises(InsufficientPoints) as refused:
        points_debit(member=member, points=31, actor=SYSTEM, now=at(2026, 2, 1))
    assert refused.value.code == "points_insufficient"
    assert "30" in refused.value.message and "31" in refused.value.message
    assert _balance(member) == 30
    assert PointsEntry.objects.count() == 1


def test_a_debit_of_nothing_is_refused(rules):
    with pytest.raises(PointsMustChange):
        points_debit(member=MemberFactory(), points=0, actor=SYSTEM)


def test_the_database_refuses_a_negative_balance(rules):
    from django.db import IntegrityError, transaction

    member = MemberFactory()
    _earn(member, 5, at(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        PointsAccount.objects.filter(member=member).update(balance=-1)


def test_expired_points_are_not_spent_even_before_the_nightly_sweep(rules):
    member = MemberFactory()
    _earn(member, 30, at(2025, 1, 1))  # expires 2026-01-01
    _earn(member, 20, at(2025, 6, 1))
    with pytest.raises(InsufficientPoints):
        points_debit(member=member, points=40, actor=SYSTEM, now=at(2026, 2, 1))
    # the refusal rolled back, the sweep had not run: the sweep then expires the old lot only
    assert points_expire_due(now=at(2026, 2, 1)) == 1
    expired = PointsEntry.objects.get(kind=Kind.EXPIRED)
    assert (expired.delta, expired.balance_after) == (-30, 20)
    assert points_expire_due(now=at(2026, 2, 2)) == 0  # nothing twice
    _assert_reconciles()


def test_a_debit_expires_due_lots_first_in_its_own_transaction(rules):
    member = MemberFactory()
    _earn(member, 30, at(2025, 1, 1))
    _earn(member, 20, at(2025, 6, 1))
    spent = points_debit(member=member, points=15, actor=SYSTEM, now=at(2026, 2, 1))
    kinds = list(PointsEntry.objects.order_by("pk").values_list("kind", "delta"))
    assert kinds[-2:] == [(Kind.EXPIRED, -30), (Kind.EXCHANGED, -15)]
    assert spent.balance_after == 5
    _assert_reconciles()


def test_a_returned_debit_goes_back_to_its_lots_once(rules):
    member = MemberFactory()
    lot_entry = _earn(member, 30, at(2026, 1, 1))
    spent = points_debit(member=member, points=25, actor=SYSTEM, now=at(2026, 2, 1))
    returned = points_return(entry=spent, actor=SYSTEM, key="exchange-cancelled:1", now=at(2026, 2, 2))
    assert (returned.kind, returned.delta, returned.balance_after) == (Kind.RETURNED, 25, 30)
    assert PointsLot.objects.get(entry=lot_entry).remaining == 30
    assert points_return(entry=spent, actor=SYSTEM, key="exchange-cancelled:1").pk == returned.pk
    with pytest.raises(AlreadyReturned):
        points_return(entry=spent, actor=SYSTEM, key="another-key")
    _assert_reconciles()


def test_points_returned_to_an_expired_lot_expire_again(rules):
    member = MemberFactory()
    _earn(member, 30, at(2025, 1, 1))
    spent = points_debit(member=member, points=30, actor=SYSTEM, now=at(2025, 6, 1))
    points_return(entry=spent, actor=SYSTEM, key="r", now=at(2026, 3, 1))
    assert _balance(member) == 0
    assert list(PointsEntry.objects.order_by("pk").values_list("kind", flat=True))[-2:] == [
        Kind.RETURNED,
        Kind.EXPIRED,
    ]
    _assert_reconciles()


def test_a_reversal_takes_back_at_most_what_was_earned_from_that_lot_first(rules):
    member = MemberFactory()
    older = _earn(member, 40, at(2026, 1, 1))
    earned = _earn(member, 30, at(2026, 2, 1))
    first = points_reverse(entry=earned, points=20, actor=SYSTEM, key="refund:1", now=at(2026, 3, 1))
    assert (first.delta, first.data["shortfall"]) == (-20, 0)
    assert PointsLot.objects.get(entry=earned).remaining == 10
    assert PointsLot.objects.get(entry=older).remaining == 40
    second = points_reverse(entry=earned, points=20, actor=SYSTEM, key="refund:2", now=at(2026, 3, 2))
    assert second.delta == -10  # only 10 of the 30 were left to take back
    assert points_reverse(entry=earned, points=5, actor=SYSTEM, key="refund:3") is None
    assert _balance(member) == 40
    _assert_reconciles()


def test_a_reversal_never_takes_the_balance_below_zero_and_records_the_shortfall(rules):
    member = MemberFactory()
    earned = _earn(member, 100, at(2026, 1, 1))
    points_debit(member=member, points=70, actor=SYSTEM, now=at(2026, 1, 2))
    reversed_ = points_reverse(entry=earned, points=100, actor=SYSTEM, key="refund:9", now=at(2026, 1, 3))
    assert (reversed_.delta, reversed_.balance_after, reversed_.data["shortfall"]) == (-30, 0, 70)
    _assert_reconciles()


def test_manual_adjustments_need_a_reason_and_are_recorded_with_who(rules):
    member = MemberFactory()
    user = UserFactory()
    actor = Actor.operations(user)
    with pytest.raises(ReasonRequired):
        points_adjust(member=member, points=10, reason="  ", actor=actor)
    with pytest.raises(PointsMustChange):
        points_adjust(member=member, points=0, reason="x", actor=actor)
    added = points_adjust(member=member, points=50, reason="客訴補償", actor=actor)
    assert (added.kind, added.actor_id, added.reason) == (Kind.ADJUSTED, user.pk, "客訴補償")
    assert PointsLot.objects.filter(entry=added).exists()
    removed = points_adjust(member=member, points=-20, reason="重複給點", actor=actor)
    assert (removed.delta, removed.balance_after) == (-20, 30)
    with pytest.raises(InsufficientPoints):
        points_adjust(member=member, points=-31, reason="x", actor=actor)
    _assert_reconciles()
