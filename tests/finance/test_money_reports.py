"""Liability, roll-forward and revenue against a small data set computed by hand.

November 2026 (Asia/Taipei):
- wash V1: NT$1,000 for 3 uses (shares 333, 333, 334), sold 3 Nov; used 10 Nov; used 20 Nov and
  reversed 25 Nov; used again 2 Dec. Wash V4: NT$900 for 3 uses, sold 8 Nov, never used.
  Finance expects 20 % of wash never to be used (set from 1 Jan 2026).
- maintenance V2: NT$3,000 for 2 uses, sold 5 Nov, refunded 15 Nov at its face value NT$2,800
  (NT$200 kept as revenue).
- detailing V3: NT$600 for 2 uses, sold 6 Nov, used 7 Nov, voided 28 Nov (NT$300 written off).
"""

from datetime import date

import pytest
from django.core.management import call_command

from finance.selectors import liability_at, revenue_by_month, rollforward
from finance.services import breakage_rate_set, facts_rebuild, facts_refresh
from members.actors import Actor
from tests.factories import DealerFactory, UserFactory
from tests.factories.finance import bought_voucher, taipei
from vouchers.models import LedgerEntry
from vouchers.services import (
    refund_approve,
    voucher_redeem,
    voucher_refund_request,
    voucher_reverse_use,
    voucher_void,
)

pytestmark = pytest.mark.django_db


def _redeem(voucher, dealer, at):
    return voucher_redeem(voucher=voucher, vehicle=voucher.vehicle, dealer=dealer, now=at)


@pytest.fixture
def november():
    dealer = DealerFactory()
    finance = Actor.operations(UserFactory())
    breakage_rate_set(category="wash", effective_from=date(2026, 1, 1), rate_bp=2000, actor=finance)
    v1 = bought_voucher(amount=1000, uses=3, category="wash", at=taipei(2026, 11, 3))
    v4 = bought_voucher(amount=900, uses=3, category="wash", at=taipei(2026, 11, 8))
    v2 = bought_voucher(
        amount=3000,
        uses=2,
        category="maintenance",
        at=taipei(2026, 11, 5),
        face_value_twd=2800,
        refundable=True,
    )
    v3 = bought_voucher(amount=600, uses=2, category="detailing", at=taipei(2026, 11, 6))
    _redeem(v1, dealer, taipei(2026, 11, 10))
    second = _redeem(v1, dealer, taipei(2026, 11, 20))
    voucher_reverse_use(voucher=v1, redeemed_entry=second, reason="wrong car", now=taipei(2026, 11, 25))
    _redeem(v1, dealer, taipei(2026, 12, 2))
    refund = voucher_refund_request(
        voucher=v2, member=v2.vehicle.ownerships.get().member, now=taipei(2026, 11, 14)
    )
    refund_approve(refund=refund, actor=finance, now=taipei(2026, 11, 15))
    _redeem(v3, dealer, taipei(2026, 11, 7))
    voucher_void(voucher=v3, reason="owner changed", now=taipei(2026, 11, 28))
    return {"v1": v1, "v2": v2, "v3": v3, "v4": v4}


def _by_category(rows):
    return {row.category: row for row in rows}


EXPECTED_NOVEMBER = {
    #              opening sales recognised refunded breakage closing
    "wash": (0, 1900, 333, 0, 83, 1484),
    "maintenance": (0, 3000, 200, 2800, 0, 0),
    "detailing": (0, 600, 300, 0, 300, 0),
    "coating": (0, 0, 0, 0, 0, 0),
    "total": (0, 5500, 833, 2800, 383, 1484),
}


def _figures(row):
    return (row.opening, row.sales, row.recognised, row.refunded, row.breakage, row.closing)


@pytest.mark.parametrize("facts", ["none", "rebuilt", "refreshed"])
def test_november_roll_forward_to_the_dollar(november, facts):
    if facts == "rebuilt":
        facts_rebuild()
    elif facts == "refreshed":
        facts_refresh(lag=__import__("datetime").timedelta(0))
    rows = _by_category(rollforward(first=date(2026, 11, 1), last=date(2026, 11, 30)))
    for category, expected in EXPECTED_NOVEMBER.items():
        assert _figures(rows[category]) == expected, category
    assert all(row.balances for row in rows.values())


def test_december_opens_where_november_closed(november):
    facts_rebuild()
    wash = _by_category(rollforward(first=date(2026, 12, 1), last=date(2026, 12, 31)))["wash"]
    # 2 Dec: the second share (333); breakage now follows 666 of uses: 666 × 20 / 80 = 166.
    assert _figures(wash) == (1484, 0, 333, 0, 83, 1068)


def test_liability_at_the_end_of_december(november):
    wash = _by_category(liability_at(as_of=date(2026, 12, 31)))["wash"]
    # V1 has its last use (334) left, V4 all three (900).
    assert (wash.uses_left, wash.liability, wash.rate_bp, wash.rate_source) == (4, 1234, 2000, "set")
    assert (wash.expected_breakage, wash.deferred_revenue) == (166, 1068)
    detailing = _by_category(liability_at(as_of=date(2026, 12, 31)))["detailing"]
    # No rate set: history says half of detailing's settled value (300 of 600) was written off.
    assert (detailing.liability, detailing.rate_bp, detailing.rate_source) == (0, 5000, "history")


def test_liability_before_anything_was_sold_is_zero(november):
    assert all(row.liability == 0 for row in liability_at(as_of=date(2026, 11, 2)))


def test_revenue_per_month_one_use_at_a_time(november):
    rows = {
        (r.month, r.category): r for r in revenue_by_month(first=date(2026, 11, 1), last=date(2026, 12, 31))
    }
    nov_wash = rows[(date(2026, 11, 1), "wash")]
    assert (nov_wash.uses, nov_wash.from_uses, nov_wash.kept_from_refunds, nov_wash.breakage) == (
        1,
        333,
        0,
        83,
    )
    nov_maintenance = rows[(date(2026, 11, 1), "maintenance")]
    assert (nov_maintenance.from_uses, nov_maintenance.kept_from_refunds, nov_maintenance.total) == (
        0,
        200,
        200,
    )
    dec_wash = rows[(date(2026, 12, 1), "wash")]
    assert (dec_wash.uses, dec_wash.from_uses, dec_wash.total) == (1, 333, 416)


def test_facts_refresh_adds_only_new_entries_once(november):
    facts_rebuild()
    assert facts_refresh(lag=__import__("datetime").timedelta(0)) == 0
    before = _figures(_by_category(rollforward(first=date(2026, 11, 1), last=date(2026, 12, 31)))["total"])
    facts_refresh(lag=__import__("datetime").timedelta(0))
    after = _figures(_by_category(rollforward(first=date(2026, 11, 1), last=date(2026, 12, 31)))["total"])
    assert before == after


def test_a_rate_set_later_does_not_move_an_earlier_period(november):
    finance = Actor.operations(UserFactory())
    breakage_rate_set(category="wash", effective_from=date(2026, 12, 1), rate_bp=5000, actor=finance)
    wash_nov = _by_category(rollforward(first=date(2026, 11, 1), last=date(2026, 11, 30)))["wash"]
    assert _figures(wash_nov) == EXPECTED_NOVEMBER["wash"]
    wash_dec = _by_category(rollforward(first=date(2026, 12, 1), last=date(2026, 12, 31)))["wash"]
    # 50 %: min(666 × 50/50, 1900 × 50 %) = 666 held against 1234 left; the change of estimate is in December.
    assert (wash_dec.opening, wash_dec.breakage, wash_dec.closing) == (1484, 666 - 83, 1234 - 666)


def test_rollforward_command_prints_one_header_one_row_per_category_and_a_total(november, capsys):
    call_command(
        "finance_report", "rollforward", "--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "category,opening,sales,recognised,refunded,breakage,closing"
    assert len(lines) == 1 + 7 + 1
    assert lines[-1] == "total,0,5500,833,2800,383,1484"
    assert "wash,0,1900,333,0,83,1484" in lines


def test_liability_command(november, capsys):
    call_command("finance_report", "liability", "--as-of", "2026-12-31", "--format", "csv")
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "category,uses_left,liability,breakage_rate,expected_breakage,deferred_revenue"
    assert "wash,4,1234,20.00%,166,1068" in lines
    assert lines[-1].startswith("total,4,1234,")


def test_the_ledger_rows_are_what_the_figures_come_from(november):
    assert LedgerEntry.objects.filter(voucher=november["v1"]).count() == 5


def test_expired_value_is_breakage_in_the_month_it_expires():
    dealer = DealerFactory()
    voucher = bought_voucher(
        amount=500,
        uses=2,
        category="tyre",
        at=taipei(2026, 11, 1),
        validity_policy="days_from_issue",
        validity_days=10,
    )
    _redeem(voucher, dealer, taipei(2026, 11, 2))
    from vouchers.services import vouchers_expire_due

    assert vouchers_expire_due(now=taipei(2026, 11, 20)) == 1
    tyre = _by_category(rollforward(first=date(2026, 11, 1), last=date(2026, 11, 30)))["tyre"]
    assert _figures(tyre) == (0, 500, 250, 0, 250, 0)
