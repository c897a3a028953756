"""Voucher codes: 75 random bits in Crockford base32 with a Luhn mod-32 check character.

16 characters, shown as four groups of four (K7QF-9M2D-XR4T-8ZB3) to be read aloud. The check
character catches every single mistyped character and most swapped neighbours, so the counter can
say "mistyped" instead of "not found". Input is forgiving: any case, any separators, full-width
characters, and Crockford's aliases (O for 0, I and L for 1).
"""

import base64
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


# Luhn mod N (N = 32) over the Crockford alphabet: from the right, every other character's value is
# doubled (and its two base-32 digits added). Translation tables do the per-character work in C.
_SINGLE = str.maketrans({c: chr(i) for c, i in _INDEX.items()})
_DOUBLED = str.maketrans({c: chr(2 * i // 32 + 2 * i % 32) for c, i in _INDEX.items()})


def _check_char(body: str) -> str:
    total = sum(body[-1::-2].translate(_DOUBLED).encode("latin-1"))
    total += sum(body[-2::-2].translate(_SINGLE).encode("latin-1"))
    return ALPHABET[(32 - total % 32) % 32]


# RFC 4648 base32 spells 5 bits per character; mapped onto Crockford's alphabet, it turns random
# bytes into a code body in C instead of a Python loop per character (bulk issuance makes 100k codes).
_FROM_BASE32 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET)


def code_generate() -> str:
    return codes_generate(1)[0]


def codes_generate(count: int) -> list[str]:
    """`count` fresh codes; 10 random bytes are 16 base32 characters, of which a code keeps 15."""
    text = base64.b32encode(secrets.token_bytes(10 * count)).decode("ascii").translate(_FROM_BASE32)
    bodies = [text[i : i + RANDOM_LENGTH] for i in range(0, 16 * count, 16)]
    return [body + _check_char(body) for body in bodies]


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
