"""Voucher codes: 75 random bits in Crockford base32 with a Luhn mod-32 check character.

16 characters, shown as four groups of four (K7QF-9M2D-XR4T-8ZB3) to be read aloud. The check
character catches every single mistyped character and most swapped neighbours, so the counter can
say "mistyped" instead of "not found". Input is forgiving: any case, any separators, full-width
characters, and Crockford's aliases (O for 0, I and L for 1).
"""

import re
import secrets
import unicodedata

from .exceptions import CodeMalformed, CodeMistyped

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.·・/]+")
RANDOM_LENGTH = 15  # 15 x 5 = 75 bits
CODE_LENGTH = RANDOM_LENGTH + 1


def _check_char(body: str) -> str:
    """Luhn mod N (N = 32) over the Crockford alphabet."""
    factor, total = 2, 0
    for char in reversed(body):
        addend = factor * _INDEX[char]
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return ALPHABET[(32 - total % 32) % 32]


def code_generate() -> str:
    # One call for all 75 bits (not one urandom call per character): bulk issuance makes 100k codes.
    bits = secrets.randbits(RANDOM_LENGTH * 5)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_LENGTH))
    return body + _check_char(body)


def code_format(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_clean(raw: object) -> str:
    """Upper-cased, alias-mapped text without separators (no validation)."""
    if not isinstance(raw, str):
        raise CodeMalformed()
    text = unicodedata.normalize("NFKC", raw[:200]).upper()
    return _SEPARATORS.sub("", text).translate(_ALIASES)


def code_parse(raw: object) -> str:
    """Return the canonical code, or raise CodeMalformed (not a code) or CodeMistyped (bad check)."""
    text = code_clean(raw)
    if text.startswith("SV1:"):  # the QR payload of the owner portal
        text = text[4:]
    if len(text) != CODE_LENGTH or any(c not in _INDEX for c in text):
        raise CodeMalformed()
    if _check_char(text[:-1]) != text[-1]:
        raise CodeMistyped()
    return text


def code_qr_payload(code: str) -> str:
    """What the owner's QR code carries: a prefix so the counter knows a scan from typed text."""
    return "SV1:" + code_format(code)
