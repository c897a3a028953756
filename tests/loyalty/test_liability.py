"""Outstanding points at a moment equal the ledger: spent, reversed, returned and expired points count
as the ledger counts them, whether or not the nightly sweep has written the expiry yet."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from loyalty.liability import points_outstanding
from loyalty.models import PointsEntry, TierLevel
from loyalty.services import (
    points_credit,
    points_debit,
    points_expire_due,
    points_return,
    points_reverse,
    tier_evaluate,
)
from tests.factories import MemberFactory
from vouchers.models import Order

from .conftest import SYSTEM, at

pytestmark = pytest.mark.django_db
Kind = PointsEntry.Kind


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _earn(member, points, when):
    return points_credit(member=member, kind=Kind.BONUS, points=points, key=None, actor=SYSTEM, now=when)


def _ledger_at(moment) -> int:
    return PointsEntry.objects.filter(created_at__lt=moment).aggregate(n=Sum("delta"))["n"] or 0


@pytest.fixture
def book(rules):
    """Points last 12 months (the `rules` fixture). Worked out by hand in each test."""
    entry = TierLevel.objects.update_or_create(rank=1, defaults={"name": "一般"})[0]
    gold = TierLevel.objects.update_or_create(rank=2, defaults={"name": "金卡", "spend_twd": 1000})[0]
    TierLevel.objects.filter(rank__gt=2).delete()
    rich, plain = MemberFactory(), MemberFactory()
    Order.objects.create(member=rich, amount_twd=2000, status=Order.Status.ISSUED, paid_at=at(2026, 4, 1))
    tier_evaluate(member=rich, now=at(2026, 5, 1))  # 金卡 from 1 May
    tier_evaluate(member=plain, now=at(2026, 5, 1))  # 一般
    first = _earn(rich, 100, at(2026, 1, 10))  # expires 2027-01-10
    second = _earn(rich, 50, at(2026, 6, 1))  # expires 2027-06-01
    _earn(plain, 40, at(2025, 3, 1))  # expires 2026-03-01, 12:00
    points_debit(member=rich, points=30, actor=SYSTEM, now=at(2026, 7, 1))  # from the first lot
    points_reverse(entry=second, points=20, actor=SYSTEM, key="refund:1", now=at(2026, 8, 1))
    spent = points_debit(member=rich, points=10, actor=SYSTEM, now=at(2026, 8, 10))  # first lot
    points_return(entry=spent, actor=SYSTEM, key="cancel:1", now=at(2026, 8, 20))
    return {"first": first, "gold": gold, "entry": entry, "rich": rich, "plain": plain}


def _by(found):
    return {(o.tier.name if o.tier else None, o.expires): o.points for o in found}


def test_outstanding_points_by_tier_and_expiry_month(book):
    found = points_outstanding(at=_end_of(date(2026, 9, 30)))
    # 100 − 30 spent (−10 spent and returned) in the first lot; 50 − 20 reversed in the second;
    # the plain member's 40 expired on 1 March even though no sweep has run.
    assert _by(found) == {("金卡", date(2027, 1, 1)): 70, ("金卡", date(2027, 6, 1)): 30}


def test_a_spend_not_yet_returned_is_not_outstanding(book):
    assert sum(o.points for o in points_outstanding(at=_end_of(date(2026, 8, 15)))) == 60 + 30


def test_the_tier_is_the_one_held_at_the_moment(book):
    found = points_outstanding(at=_end_of(date(2026, 2, 15)))
    # Before 1 May nobody had a tier; the plain member's 40 had not expired yet.
    assert _by(found) == {(None, date(2027, 1, 1)): 100, (None, date(2026, 3, 1)): 40}


@pytest.mark.parametrize("day", [date(2026, 2, 15), date(2026, 3, 1), date(2026, 6, 15), date(2026, 9, 30)])
def test_the_total_equals_the_ledger_once_expiry_has_been_swept(book, day):
    moment = _end_of(day)
    before_sweep = sum(o.points for o in points_outstanding(at=moment))
    points_expire_due(now=at(2026, 3, 1, 12))  # the sweep, at the expiry itself
    assert sum(o.points for o in points_outstanding(at=moment)) == before_sweep == _ledger_at(moment)


def test_nothing_outstanding_before_anything_was_earned(book):
    assert points_outstanding(at=_end_of(date(2025, 1, 1))) == []
