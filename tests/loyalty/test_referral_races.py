"""Many referral successes of one referrer at once (PostgreSQL row locks): the monthly cap holds, and
one friend's first events at the same moment (several cars bound) reward once."""

import threading

import pytest
from django.db import connection

from loyalty.models import PointsAccount, PointsEntry, Programme, Referral
from loyalty.selectors import points_drift
from loyalty.services import referral_code_issue, referral_record, referral_reward
from tests.factories import MemberFactory, VehicleFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(calls) -> None:
    barrier = threading.Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


@pytest.fixture
def programme(db):
    Programme.objects.update_or_create(
        pk=1, defaults={"referrer_points": 200, "friend_points": 100, "referral_monthly_cap": 3}
    )


def test_concurrent_successes_never_exceed_the_monthly_cap(programme):
    referrer = MemberFactory()
    code = referral_code_issue(member=referrer).code
    friends = [MemberFactory() for _ in range(10)]
    for friend in friends:
        referral_record(friend=friend, code=code)
    cars = [VehicleFactory().pk for _ in friends]

    _at_once(
        [
            lambda f=friend, car=car: referral_reward(friend_id=f.pk, trigger="vehicle", ref_id=car)
            for friend, car in zip(friends, cars, strict=True)
        ]
    )

    statuses = list(Referral.objects.values_list("status", "refusal"))
    assert statuses.count(("rewarded", "")) == 3
    assert statuses.count(("refused", "referral_monthly_cap")) == 7
    assert PointsAccount.objects.get(member=referrer).balance == 600
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.REFERRAL).count() == 3 + 3
    accounts, lots = points_drift()
    assert not accounts.exists() and not lots.exists()


def test_several_first_events_at_the_same_moment_reward_once(programme):
    referrer, friend = MemberFactory(), MemberFactory()
    referral_record(friend=friend, code=referral_code_issue(member=referrer).code)
    cars = [VehicleFactory().pk for _ in range(8)]

    _at_once(
        [lambda car=car: referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=car) for car in cars]
    )

    assert Referral.objects.get().status == "rewarded"
    assert PointsAccount.objects.get(member=referrer).balance == 200
    assert PointsAccount.objects.get(member=friend).balance == 100
