"""amount_split: whole-dollar parts that add up exactly, proportional to the weights."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vouchers.money import amount_split


def test_largest_remainder_gives_the_leftover_dollars_to_the_largest_remainders():
    assert amount_split(100, [1, 1, 1]) == [34, 33, 33]
    assert amount_split(1000, [300, 200, 500]) == [300, 200, 500]
    assert amount_split(10, [1, 2]) == [3, 7]  # 3.33 and 6.67: the larger remainder takes the dollar


def test_zero_weights_split_evenly_and_nothing_splits_into_nothing():
    assert amount_split(5, [0, 0]) == [3, 2]
    assert amount_split(7, []) == []


@pytest.mark.parametrize(("amount", "weights"), [(-1, [1]), (5, [1, -1])])
def test_negative_amounts_and_weights_are_refused(amount, weights):
    with pytest.raises(ValueError):
        amount_split(amount, weights)


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**5), min_size=1, max_size=30))
def test_parts_add_up_and_stay_within_a_dollar_of_the_exact_share(amount, weights):
    parts = amount_split(amount, weights)
    assert sum(parts) == amount
    total = sum(weights) or len(weights)
    for part, weight in zip(parts, weights if sum(weights) else [1] * len(weights), strict=True):
        assert abs(part - amount * weight / total) < 1
