"""One helper cuts text to its column's length, read from the field."""

import pytest

from campaigns.models import JobRun
from config.stored_text import fit_to_column
from redemption.models import Redemption
from vouchers.models import LedgerEntry


def test_text_is_cut_to_the_fields_max_length():
    assert fit_to_column(LedgerEntry, "reason", "x" * 301) == "x" * 300
    assert fit_to_column(Redemption, "work_order", "W" * 41) == "W" * 40
    assert fit_to_column(LedgerEntry, "actor_label", "advisor:" + "a" * 150) == ("advisor:" + "a" * 150)[:80]


def test_short_text_and_other_values_are_kept_as_text():
    assert fit_to_column(Redemption, "work_order", "WO-1") == "WO-1"
    assert fit_to_column(LedgerEntry, "reason", 42) == "42"


def test_a_text_field_without_a_length_takes_the_text_whole():
    assert fit_to_column(JobRun, "error", "e" * 5000) == "e" * 5000


def test_an_unknown_field_is_a_programming_error():
    from django.core.exceptions import FieldDoesNotExist

    with pytest.raises(FieldDoesNotExist):
        fit_to_column(LedgerEntry, "no_such_field", "x")
