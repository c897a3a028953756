"""Many spends of the same points at once (PostgreSQL row locks): the result is exact."""

import threading

import pytest
from django.db import connection

from loyalty.exceptions import InsufficientPoints
from loyalty.models import PointsAccount, PointsEntry
from loyalty.selectors import points_drift
from loyalty.services import points_credit, points_debit
from tests.factories import MemberFactory

from .conftest import SYSTEM

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_fifty_threads_spending_the_same_points_give_an_exact_result(rules):
    member = MemberFactory()
    for points in (400, 300, 300):  # three lots: the draws cross lot boundaries
        points_credit(member=member, kind="bonus", points=points, key=None, actor=SYSTEM)
    threads_n, each = 50, 30  # 1,000 points: 33 spends fit, 17 are refused
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = [""] * threads_n

    def spend(i):
        try:
            barrier.wait()
            points_debit(member=member.pk, points=each, actor=SYSTEM, key=f"spend:{i}")
            outcomes[i] = "ok"
        except InsufficientPoints:
            outcomes[i] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(i,)) for i in range(threads_n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 1000 // each
    assert outcomes.count("refused") == threads_n - 1000 // each
    assert PointsAccount.objects.get(member=member).balance == 1000 % each
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.EXCHANGED).count() == 1000 // each
    accounts, lots = points_drift()
    assert not accounts.exists() and not lots.exists()
