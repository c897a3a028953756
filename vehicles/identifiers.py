"""Parsing of vehicle identifiers: VINs and Taiwanese licence plates.

Each parser returns a value or raises its DomainError (InvalidVin, InvalidPlate); no other
exception escapes, whatever the input (checked by property tests).
"""

import re
import unicodedata
from dataclasses import dataclass

from .exceptions import InvalidPlate, InvalidVin

VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

# Every dash a keyboard, an IME or a spreadsheet may produce.
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−﹘﹣－ー"), "-")
_SPACES = re.compile(r"\s+")
_PLATE_HYPHENATED = re.compile(r"^[A-Z0-9]{1,4}-[A-Z0-9]{1,4}$")
_PLATE_SPLIT = re.compile(r"^([A-Z]+|[0-9]+)([A-Z]+|[0-9]+)$")


@dataclass(frozen=True)
class ParsedVin:
    vin: str
    check_digit_ok: bool  # only a warning: European-built cars legitimately fail it


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def vin_parse(raw: object) -> ParsedVin:
    if not isinstance(raw, str) or len(raw) > 64:
        raise InvalidVin()
    text = _SPACES.sub("", unicodedata.normalize("NFKC", raw)).upper().translate(_DASHES).replace("-", "")
    if not VIN_RE.match(text):
        raise InvalidVin()
    return ParsedVin(vin=text, check_digit_ok=vin_check_digit(text) == text[8])


def _plate_clean(raw: object) -> str:
    if not isinstance(raw, str) or len(raw) > 40:
        raise InvalidPlate()
    return _SPACES.sub("", unicodedata.normalize("NFKC", raw)).upper().translate(_DASHES)


def plate_normalise(raw: object) -> str:
    """The display form of a plate (ABC-1234), or InvalidPlate."""
    text = _plate_clean(raw)
    if "-" in text:
        if not _PLATE_HYPHENATED.match(text) or not 5 <= len(text) <= 9:
            raise InvalidPlate()
        head, tail = text.split("-")
    else:
        match = _PLATE_SPLIT.match(text)
        if not match or not 4 <= len(text) <= 8:
            raise InvalidPlate()
        head, tail = match.groups()
    letters = sum(c.isalpha() for c in head + tail)
    digits = sum(c.isdigit() for c in head + tail)
    if not letters or not digits or len(head) > 4 or len(tail) > 4:
        raise InvalidPlate()
    return f"{head}-{tail}"


def plate_key(raw: object) -> str:
    """The hyphen-free search key of a plate in any spelling, or InvalidPlate."""
    return plate_normalise(raw).replace("-", "")


def plate_search_key(raw: object) -> str | None:
    """A lenient key for a search box: None when the text cannot be part of a plate."""
    try:
        text = _plate_clean(raw).replace("-", "")
    except InvalidPlate:
        return None
    if not text or not text.isascii() or not text.isalnum() or len(text) > 8:
        return None
    return text
