"""Parsing what an advisor types: mileage in the spellings a counter sees, work orders."""

import pytest

from redemption.forms import CompleteForm, ReverseForm, UseVoucherForm


@pytest.mark.parametrize(
    ("typed", "km"),
    [
        ("12345", 12345),
        ("12,345", 12345),
        ("12 345", 12345),
        ("１２３４５", 12345),
        ("12345 km", 12345),
        ("12345KM", 12345),
        ("0", 0),
        ("2000000", 2_000_000),
    ],
)
def test_mileage_accepts_common_spellings(typed, km):
    form = UseVoucherForm({"mileage": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["mileage"] == km


@pytest.mark.parametrize(
    "typed", ["", "  ", "-5", "12.5", "abc", "2000001", "SV1:K7QF-9M2D-XR4T-8ZB3", "1e5", "٣٤٥", "9" * 30]
)
def test_mileage_refuses_anything_else(typed):
    form = UseVoucherForm({"mileage": typed})
    assert not form.is_valid()
    assert "mileage" in form.errors


def test_the_action_defaults_to_redeem_and_only_knows_two_values():
    form = UseVoucherForm({"mileage": "1"})
    assert form.is_valid()
    assert form.cleaned_data["action"] == UseVoucherForm.REDEEM
    assert UseVoucherForm({"mileage": "1", "action": "start"}).is_valid()
    assert not UseVoucherForm({"mileage": "1", "action": "delete"}).is_valid()


def test_work_order_is_optional_trimmed_and_refuses_control_characters():
    form = UseVoucherForm({"mileage": "1", "work_order": "  WO-１２３  "})
    assert form.is_valid()
    assert form.cleaned_data["work_order"] == "WO-123"
    assert not UseVoucherForm({"mileage": "1", "work_order": "WO\x00123"}).is_valid()
    assert not UseVoucherForm({"mileage": "1", "work_order": "W" * 41}).is_valid()


def test_completing_needs_a_mileage_only_when_none_was_recorded_at_the_start():
    assert not CompleteForm({}, mileage_known=False).is_valid()
    form = CompleteForm({}, mileage_known=True)
    assert form.is_valid()
    assert form.cleaned_data["mileage"] is None


def test_a_reversal_needs_a_reason():
    assert not ReverseForm({"reason": "   "}).is_valid()
    assert ReverseForm({"reason": "wrong car"}).is_valid()
