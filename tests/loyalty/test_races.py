"""Many spends of the same points at once (PostgreSQL row locks): the result is exact."""

import threading

import pytest
from django.db import connection

from config.errors import DomainError
from loyalty.exceptions import InsufficientPoints
from loyalty.models import Exchange, ExchangeOffer, PointsAccount, PointsEntry
from loyalty.selectors import points_drift
from loyalty.services import points_credit, points_debit, points_exchange
from tests.factories import DefinitionFactory, MemberFactory
from vouchers.models import Voucher, VoucherDefinition

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


def _at_once(calls) -> list[str]:
    barrier = threading.Barrier(len(calls))
    outcomes = [""] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            call()
            outcomes[i] = "ok"
        except DomainError as exc:
            outcomes[i] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_many_members_exchanging_at_once_never_oversell_and_pay_only_for_what_they_get(rules):
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, stock_total=5)
    offer = ExchangeOffer.objects.create(definition=definition, points_price=100)
    members = [MemberFactory() for _ in range(16)]
    for member in members:
        points_credit(member=member, kind="bonus", points=100, key=None, actor=SYSTEM)

    outcomes = _at_once(
        [lambda m=m: points_exchange(offer=offer, member=m, idempotency_key=f"k{m.pk}") for m in members]
    )

    assert outcomes.count("ok") == 5 and outcomes.count("stock_exhausted") == 11
    assert Voucher.objects.filter(definition=definition).count() == 5
    assert Exchange.objects.count() == 5
    assert sum(PointsAccount.objects.values_list("balance", flat=True)) == 11 * 100
    accounts, lots = points_drift()
    assert not accounts.exists() and not lots.exists()


def test_one_member_in_many_tabs_gets_no_more_than_the_limit(rules):
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, stock_total=100)
    offer = ExchangeOffer.objects.create(definition=definition, points_price=100, per_member_limit=2)
    member = MemberFactory()
    points_credit(member=member, kind="bonus", points=1_000, key=None, actor=SYSTEM)

    outcomes = _at_once(
        [
            lambda i=i: points_exchange(offer=offer, member=member, idempotency_key=f"tab{i}")
            for i in range(10)
        ]
    )

    assert outcomes.count("ok") == 2 and outcomes.count("exchange_limit_reached") == 8
    assert PointsAccount.objects.get(member=member).balance == 800
