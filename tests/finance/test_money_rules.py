"""The per-entry money rule and the breakage formula, as pure functions."""

import pytest

from finance.breakage import Cumulative, breakage_advance, rate_from_history
from finance.money import entry_money, uses_value
from vouchers.money import amount_split


@pytest.mark.parametrize(("amount", "uses"), [(1000, 3), (7, 5), (2, 3), (101, 3), (0, 4), (999, 1)])
def test_uses_value_is_the_amount_split_over_the_uses_left(amount, uses):
    parts = amount_split(amount, [1] * uses)
    for left in range(uses + 1):
        assert uses_value(amount, uses, left) == sum(parts[:left])


def test_each_use_recognises_its_share_and_the_last_the_remainder():
    shares = [uses_value(1000, 3, left + 1) - uses_value(1000, 3, left) for left in (2, 1, 0)]
    assert shares == [333, 333, 334]


def test_a_redemption_moves_its_use_from_open_value_to_used():
    money = entry_money(
        kind="redeemed",
        amount=1000,
        uses_total=3,
        uses_left_after=2,
        delta=-1,
        status_before="active",
        status_after="active",
    )
    assert (money.used, money.uses, money.written_off, money.open_change, money.open_uses) == (
        333,
        1,
        0,
        -333,
        -1,
    )


def test_a_use_given_back_to_an_expired_voucher_is_written_off_at_once():
    money = entry_money(
        kind="reversed",
        amount=1000,
        uses_total=3,
        uses_left_after=1,
        delta=1,
        status_before="used",
        status_after="expired",
    )
    assert (money.used, money.written_off, money.open_change) == (-334, 334, 0)


def test_a_refund_releases_the_open_value_and_pays_back_what_was_asked():
    money = entry_money(
        kind="refund_approved",
        amount=3000,
        uses_total=2,
        uses_left_after=2,
        delta=0,
        status_before="locked",
        status_after="refunded",
        refund_amount=2800,
    )
    assert (money.released, money.refunded, money.written_off, money.open_change) == (3000, 2800, 0, -3000)


def test_free_vouchers_carry_no_money():
    money = entry_money(
        kind="redeemed",
        amount=0,
        uses_total=1,
        uses_left_after=0,
        delta=-1,
        status_before="active",
        status_after="used",
    )
    assert money.open_change == 0 and money.used == 0


def test_breakage_follows_redemptions_and_stops_at_the_expected_share():
    sold = Cumulative(sales=10_000)
    assert breakage_advance(sold, 2000) == 0
    assert breakage_advance(Cumulative(sales=10_000, used=4000), 2000) == 1000
    # Never past rate × sales, nor past what is left, nor kept once it actually expired.
    assert breakage_advance(Cumulative(sales=10_000, used=7900), 2000) == 1975
    assert breakage_advance(Cumulative(sales=10_000, used=8000), 2000) == 2000
    assert breakage_advance(Cumulative(sales=10_000, used=9500), 2000) == 500
    assert breakage_advance(Cumulative(sales=10_000, used=4000, written_off=600), 2000) == 400
    assert breakage_advance(Cumulative(sales=10_000, used=4000), 0) == 0


def test_history_gives_the_share_of_settled_value_that_was_written_off():
    assert rate_from_history(Cumulative(used=750, written_off=250)) == 2500
    assert rate_from_history(Cumulative(used=750)) == 0
    assert rate_from_history(Cumulative()) == 0
