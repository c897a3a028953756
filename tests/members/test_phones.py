"""Phone numbers: any common Taiwanese spelling in, E.164 out; anything else is InvalidPhone."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from members.exceptions import InvalidPhone
from members.phones import phone_masked, phone_national, phone_normalise

# Property tests run without hypothesis' deadline: the first calls load lookup tables, and timing
# is not what they test.
MOBILE_E164 = "+886912345678"


@pytest.mark.parametrize(
    "raw",
    [
        "0912-345-678",
        "0912345678",
        "0912 345 678",
        "+886 912 345 678",
        "+886-912-345-678",
        "+886912345678",
        "886912345678",
        "+886 0912 345 678",
        "０９１２３４５６７８",  # full-width digits from a Chinese IME
        "０９１２－３４５－６７８",
        "  0912-345-678  ",
    ],
)
def test_every_common_spelling_of_a_mobile_gives_the_same_e164(raw):
    assert phone_normalise(raw) == MOBILE_E164


def test_different_mobiles_stay_different():
    assert phone_normalise("0912-345-678") != phone_normalise("0912-345-679")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "abc",
        "0912-345-67",  # one digit short
        "0912-345-6789",  # one digit too many
        "09" + "1" * 40,  # absurdly long
        "02-2345-6789",  # a Taipei landline cannot receive SMS
        "(02) 2345-6789",
        "0800-000-123",  # toll-free
    ],
)
def test_what_is_not_a_taiwanese_mobile_is_refused(raw):
    with pytest.raises(InvalidPhone):
        phone_normalise(raw)


@pytest.mark.parametrize("raw", [None, 912345678, b"0912345678"])
def test_non_text_is_refused_as_invalid_phone(raw):
    with pytest.raises(InvalidPhone):
        phone_normalise(raw)


@settings(deadline=None)
@given(st.text(max_size=40))
def test_arbitrary_text_gives_e164_or_invalid_phone(raw):
    try:
        e164 = phone_normalise(raw)
    except InvalidPhone:
        return
    assert e164.startswith("+")
    assert e164[1:].isdigit()
    assert phone_normalise(e164) == e164


def test_national_and_masked_forms_for_display():
    assert phone_national(MOBILE_E164) == "0912-345-678"
    masked = phone_masked(MOBILE_E164)
    assert masked == "0912-***-678"
    assert "345" not in masked
