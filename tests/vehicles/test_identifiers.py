"""VIN and licence-plate parsing: examples for every documented spelling, and properties for any text."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vehicles.exceptions import InvalidPlate, InvalidVin
from vehicles.identifiers import (
    ParsedVin,
    plate_key,
    plate_normalise,
    plate_search_key,
    vin_check_digit,
    vin_parse,
)

# Property tests run without hypothesis' deadline: the first calls load lookup tables, and timing
# is not what they test.
VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
NORTH_AMERICAN_VIN = "1HGCM82633A004352"  # the textbook example: check digit 3 at position 9
EUROPEAN_VIN = "WVWZZZ1JZXW000001"  # a European VIN with a Z where the check digit would be


# --- VINs --------------------------------------------------------------------------------------


def test_vin_with_a_correct_check_digit():
    assert vin_parse(NORTH_AMERICAN_VIN) == ParsedVin(vin=NORTH_AMERICAN_VIN, check_digit_ok=True)


def test_check_digit_is_position_nine():
    assert vin_check_digit(NORTH_AMERICAN_VIN) == NORTH_AMERICAN_VIN[8]


def test_european_vin_with_a_wrong_check_digit_is_accepted_with_a_warning():
    parsed = vin_parse(EUROPEAN_VIN)

    assert parsed.vin == EUROPEAN_VIN
    assert parsed.check_digit_ok is False


def test_one_changed_character_makes_the_check_digit_wrong_but_the_vin_is_still_accepted():
    changed = NORTH_AMERICAN_VIN[:-1] + ("3" if NORTH_AMERICAN_VIN[-1] != "3" else "4")

    parsed = vin_parse(changed)

    assert parsed.vin == changed
    assert parsed.check_digit_ok is False


@pytest.mark.parametrize(
    "raw",
    [
        "1hgcm82633a004352",
        " 1HGCM82633A004352 ",
        "1HGCM 8263 3A004352",
        "1HGCM-82633-A004352",
        "１ＨＧＣＭ８２６３３Ａ００４３５２",  # full width
    ],
)
def test_vin_spellings_are_normalised(raw):
    assert vin_parse(raw).vin == NORTH_AMERICAN_VIN


@pytest.mark.parametrize("letter", ["I", "O", "Q"])
def test_vins_never_contain_i_o_or_q(letter):
    raw = NORTH_AMERICAN_VIN[:5] + letter + NORTH_AMERICAN_VIN[6:]
    assert len(raw) == 17

    with pytest.raises(InvalidVin):
        vin_parse(raw)


@pytest.mark.parametrize(
    "raw",
    [
        NORTH_AMERICAN_VIN[:-1],  # 16 characters
        NORTH_AMERICAN_VIN + "1",  # 18 characters
        "",
        "-" * 17,
        "1HGCM82633A00435!",
        "1HGCM82633A00435é",
        "X" * 65,
    ],
)
def test_wrong_length_or_characters_are_refused(raw):
    with pytest.raises(InvalidVin):
        vin_parse(raw)


@pytest.mark.parametrize("raw", [None, 17, b"1HGCM82633A004352"])
def test_non_text_is_not_a_vin(raw):
    with pytest.raises(InvalidVin):
        vin_parse(raw)


# --- Plates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("abc1234", "ABC-1234"),
        ("ABC-1234", "ABC-1234"),
        ("ABC–1234", "ABC-1234"),  # en dash
        ("ABC—1234", "ABC-1234"),  # em dash
        ("ABC‐1234", "ABC-1234"),  # Unicode hyphen
        ("ＡＢＣ－１２３４", "ABC-1234"),  # full width
        ("abc 1234", "ABC-1234"),
        ("ab 1234", "AB-1234"),
        ("AB-1234", "AB-1234"),
        ("1234ab", "1234-AB"),
        ("1234-AB", "1234-AB"),
        (" 1234 - ab ", "1234-AB"),
    ],
)
def test_plate_spellings_are_normalised(raw, display):
    assert plate_normalise(raw) == display
    assert plate_key(raw) == display.replace("-", "")


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "-",
        "abc",  # no digits
        "12345",  # no letters
        "ABCD-EFGH",
        "1234-5678",
        "ABCDE-1234",  # a part longer than four
        "AB12CD",  # letters, digits, letters
        "AB--1234",
        "AB-12-34",
        "ABC_1234",
        "ABC.1234",
        "京A-12345",
        "ABÇ-1234",
        "A" * 41,
    ],
)
def test_garbage_is_not_a_plate(raw):
    with pytest.raises(InvalidPlate):
        plate_normalise(raw)
    with pytest.raises(InvalidPlate):
        plate_key(raw)


@pytest.mark.parametrize("raw", [None, 1234, ["ABC-1234"]])
def test_non_text_is_not_a_plate(raw):
    with pytest.raises(InvalidPlate):
        plate_normalise(raw)
    assert plate_search_key(raw) is None


@pytest.mark.parametrize(
    ("raw", "key"),
    [("abc-1234", "ABC1234"), ("ＡＢＣ－１２", "ABC12"), ("12", "12"), ("abc", "ABC")],
)
def test_search_key_is_lenient_about_partial_plates(raw, key):
    assert plate_search_key(raw) == key


@pytest.mark.parametrize("raw", ["", "   ", "ABC!1234", "ABCDEFGHJ", "車牌"])
def test_search_key_is_none_for_text_that_cannot_be_a_plate(raw):
    assert plate_search_key(raw) is None


# --- Properties --------------------------------------------------------------------------------


@settings(deadline=None)
@given(st.text())
@example("ＡＢＣ－１２３４")
@example("ﷺ" * 10)  # NFKC expands this character to 18 characters
@example("ß" * 17)  # upper-cases to two characters each
@example("1HGCM82633A004352\n")
def test_vin_parse_returns_a_vin_or_raises_invalid_vin(raw):
    try:
        parsed = vin_parse(raw)
    except InvalidVin:
        return
    assert len(parsed.vin) == 17
    assert set(parsed.vin) <= set(VIN_ALPHABET)
    assert parsed.check_digit_ok == (vin_check_digit(parsed.vin) == parsed.vin[8])
    assert vin_parse(parsed.vin) == parsed


@settings(deadline=None)
@given(st.text(alphabet=VIN_ALPHABET, min_size=17, max_size=17))
def test_every_17_character_vin_in_the_alphabet_is_accepted(raw):
    assert vin_parse(raw).vin == raw


@settings(deadline=None)
@given(st.text())
@example("ABC–1234")
@example("1234\nAB")
@example("ＡＢ１２３４")
def test_plate_parsers_return_a_value_or_raise_invalid_plate(raw):
    for parser in (plate_normalise, plate_key):
        try:
            value = parser(raw)
        except InvalidPlate:
            continue
        assert value.isascii()
    key = plate_search_key(raw)
    assert key is None or (key.isascii() and key.isalnum() and len(key) <= 8)


@settings(deadline=None)
@given(st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdef0123456789０１ＡＢ -–—－", max_size=12))
def test_a_valid_plate_renormalises_to_itself(raw):
    try:
        display = plate_normalise(raw)
    except InvalidPlate:
        return
    assert plate_normalise(display) == display
    assert plate_key(display) == plate_key(raw) == display.replace("-", "")
    assert plate_search_key(display) == plate_key(raw)


@settings(deadline=None)
@given(
    st.one_of(
        st.from_regex(r"\A[A-Z]{2,3}-[0-9]{4}\Z"),
        st.from_regex(r"\A[0-9]{4}-[A-Z]{2}\Z"),
    )
)
def test_every_current_plate_format_is_its_own_display_form(plate):
    assert plate_normalise(plate) == plate
    assert plate_normalise(plate.lower().replace("-", " ")) == plate
