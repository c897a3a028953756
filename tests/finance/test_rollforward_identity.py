"""The roll-forward identity after random mixes of sales, uses, reversals, refunds, voids,
extensions and expiries (hypothesis): every period balances to the dollar, each period opens where
the previous one closed, and the uses-left value equals the vouchers' own state at the end."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from config.errors import DomainError
from finance.money import OPEN_STATUSES, uses_value
from finance.selectors import MoneyBook, liability_at, rollforward
from finance.services import breakage_rate_set, facts_rebuild, facts_refresh
from members.actors import Actor
from tests.factories import DealerFactory, UserFactory
from tests.factories.finance import bought_voucher, taipei
from vouchers.models import LedgerEntry, Voucher
from vouchers.services import (
    refund_approve,
    voucher_extend,
    voucher_redeem,
    voucher_refund_request,
    voucher_reverse_use,
    voucher_void,
    vouchers_expire_due,
)

pytestmark = pytest.mark.django_db
CATEGORIES = ["wash", "coating", "tyre"]

sale = st.tuples(
    st.just("sell"), st.sampled_from(CATEGORIES), st.integers(1, 5000), st.integers(1, 4), st.booleans()
)
act = st.tuples(st.sampled_from(["use", "use", "reverse", "refund", "void", "extend"]), st.integers(0, 50))
expire = st.tuples(st.just("expire"))
operations = st.lists(st.one_of(sale, sale, act, act, act, expire), min_size=3, max_size=25)


class _Rollback(Exception):
    pass


def _run(ops, dealer, finance):
    vouchers: list[Voucher] = []
    day = taipei(2026, 10, 1)
    for op in ops:
        day += timedelta(hours=29)
        try:
            if op[0] == "sell":
                _kind, category, amount, uses, expires = op
                fields = {"validity_policy": "days_from_issue", "validity_days": 5} if expires else {}
                vouchers.append(
                    bought_voucher(
                        amount=amount, uses=uses, category=category, at=day, refundable=True, **fields
                    )
                )
            elif op[0] == "expire":
                vouchers_expire_due(now=day)
            elif vouchers:
                voucher = Voucher.objects.get(pk=vouchers[op[1] % len(vouchers)].pk)
                if op[0] == "use":
                    voucher_redeem(voucher=voucher, vehicle=voucher.vehicle, dealer=dealer, now=day)
                elif op[0] == "reverse":
                    used = (
                        LedgerEntry.objects.filter(voucher=voucher, kind="redeemed").order_by("-pk").first()
                    )
                    if used is not None:
                        voucher_reverse_use(voucher=voucher, redeemed_entry=used, reason="test", now=day)
                elif op[0] == "refund":
                    refund = voucher_refund_request(voucher=voucher, member=None, now=day)
                    refund_approve(refund=refund, actor=finance, now=day)
                elif op[0] == "void":
                    voucher_void(voucher=voucher, reason="test", now=day)
                elif op[0] == "extend" and voucher.valid_until is not None:
                    voucher_extend(
                        voucher=voucher,
                        valid_until=max(voucher.valid_until, day) + timedelta(days=30),
                        reason="test",
                        now=day,
                    )
        except DomainError:
            continue
    return day


def _check(end_day: date):
    book = MoneyBook()
    months = [
        (date(2026, 10, 1), date(2026, 10, 31)),
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 12, 1), end_day),
    ]
    previous = None
    for first, last in months:
        rows = {r.category: r for r in rollforward(first=first, last=last, book=book)}
        for row in rows.values():
            assert row.closing == row.opening + row.sales - row.recognised - row.refunded - row.breakage
            assert row.closing >= 0
        if previous is not None:
            assert all(rows[c].opening == previous[c].closing for c in rows)
        previous = rows
    whole = {r.category: r for r in rollforward(first=date(2026, 1, 1), last=end_day, book=book)}
    liability = {r.category: r for r in liability_at(as_of=end_day, book=book)}
    for category in CATEGORIES:
        open_vouchers = Voucher.objects.filter(definition__category=category, status__in=OPEN_STATUSES)
        by_hand = sum(uses_value(v.amount_paid_twd, v.uses_total, v.uses_left) for v in open_vouchers)
        assert liability[category].liability == by_hand
        assert liability[category].uses_left == sum(v.uses_left for v in open_vouchers)
        assert whole[category].opening == 0
        assert whole[category].closing == liability[category].deferred_revenue
    return {
        c: (r.opening, r.sales, r.recognised, r.refunded, r.breakage, r.closing) for c, r in whole.items()
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations, rate=st.integers(0, 9000))
@example(
    ops=[
        ("sell", "wash", 1000, 3, True),
        ("use", 0),
        ("use", 0),
        ("reverse", 0),
        ("sell", "coating", 700, 2, False),
        ("refund", 1),
        ("sell", "wash", 900, 2, True),
        ("use", 2),
        ("expire",),
        ("extend", 0),
        ("use", 0),
        ("void", 2),
        ("expire",),
    ],
    rate=2000,
)
def test_every_period_balances_after_random_histories(ops, rate, django_db_blocker):
    from django.db import transaction

    try:
        with transaction.atomic():
            dealer = DealerFactory()
            finance = Actor.operations(UserFactory())
            breakage_rate_set(category="wash", effective_from=date(2026, 1, 1), rate_bp=rate, actor=finance)
            end = _run(ops, dealer, finance)
            end_day = max(end.date(), date(2026, 12, 1)) + timedelta(days=1)
            live = _check(end_day)
            facts_rebuild()
            assert _check(end_day) == live
            facts_refresh(lag=timedelta(0))
            assert _check(end_day) == live
            raise _Rollback
    except _Rollback:
        pass
