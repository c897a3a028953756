"""Voucher codes: random, grouped for reading aloud, forgiving in input, and self-checking."""

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from vouchers.codes import (
    ALPHABET,
    CODE_LENGTH,
    code_format,
    code_generate,
    code_parse,
    code_qr_payload,
)
from vouchers.exceptions import CodeMalformed, CodeMistyped

# Property tests run without hypothesis' deadline: the first calls load lookup tables, and timing
# is not what they test.
codes = st.builds(lambda _seed: code_generate(), st.integers())


def test_a_generated_code_has_sixteen_characters_of_the_alphabet():
    code = code_generate()

    assert len(code) == CODE_LENGTH == 16
    assert set(code) <= set(ALPHABET)


def test_codes_are_random():
    assert len({code_generate() for _ in range(1000)}) == 1000


def test_format_groups_four_by_four():
    code = code_generate()

    formatted = code_format(code)

    assert formatted.split("-") == [code[0:4], code[4:8], code[8:12], code[12:16]]


@settings(deadline=None)
@given(codes)
def test_crockford_aliases_are_read_as_digits(code):
    as_letters = code.replace("0", "O").replace("1", "I")

    assert code_parse(as_letters.lower()) == code
    assert code_parse(code.replace("1", "L")) == code


def test_an_alias_typed_for_a_zero_parses_to_the_code():
    code = next(c for c in iter(code_generate, None) if "0" in c and "1" in c)

    assert code_parse(code.replace("0", "o").replace("1", "l")) == code


def test_the_qr_payload_parses_back():
    code = code_generate()

    assert code_parse(code_qr_payload(code)) == code


@pytest.mark.parametrize(
    "raw", ["", "ABCD", "0" * 15, "0" * 17, "K7QF-9M2D-XR4T-8ZBU", "票券票券票券票券票券票券票券票券"]
)
def test_what_is_not_a_code_is_malformed(raw):
    with pytest.raises(CodeMalformed):
        code_parse(raw)


@pytest.mark.parametrize("raw", [None, 1234, b"K7QF9M2DXR4T8ZB3"])
def test_non_text_is_malformed(raw):
    with pytest.raises(CodeMalformed):
        code_parse(raw)


@settings(deadline=None)
@given(st.text())
@example("SV1:")
@example("sv1:" + "0" * 16)
@example("ＫＱ" * 8)
def test_code_parse_returns_a_code_or_raises_a_code_error(raw):
    try:
        code = code_parse(raw)
    except (CodeMalformed, CodeMistyped):
        return
    assert len(code) == CODE_LENGTH
    assert set(code) <= set(ALPHABET)
    assert code_parse(code) == code


@settings(deadline=None)
@given(codes)
def test_a_code_round_trips_from_its_formatted_lower_case_spaced_form(code):
    typed = code_format(code).lower().replace("-", " ")

    assert code_parse(typed) == code
    assert code_parse(code_format(code)) == code


@settings(deadline=None)
@given(codes, st.integers(min_value=0, max_value=CODE_LENGTH - 1), st.sampled_from(ALPHABET))
def test_any_single_substitution_is_caught_as_mistyped(code, position, replacement):
    assume(code[position] != replacement)
    typo = code[:position] + replacement + code[position + 1 :]

    with pytest.raises(CodeMistyped):
        code_parse(typo)


@settings(deadline=None)
@given(codes, st.integers(min_value=0, max_value=CODE_LENGTH - 1))
def test_every_substitution_at_a_position_is_caught(code, position):
    for replacement in ALPHABET:
        if replacement == code[position]:
            continue
        typo = code[:position] + replacement + code[position + 1 :]
        with pytest.raises(CodeMistyped):
            code_parse(typo)
