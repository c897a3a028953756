"""Dealer codes: what partners send in the API, what advisors and reports show.

Upper-case letters, digits and hyphens, 2 to 12 characters, starting and ending with a letter or a
digit (TPE01, KHH-02). Typed text is brought to that form first (full-width characters, lower case,
surrounding spaces); what still does not fit is refused. The same pattern is the database check
constraint `dealer_code_format`.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEALER_CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,10}[A-Z0-9]$"
_DEALER_CODE = re.compile(DEALER_CODE_PATTERN)
DEALER_CODE_MESSAGE = _(
    "A dealer code is 2 to 12 upper-case letters, digits or hyphens, starting and ending with a "
    "letter or digit, for example TPE01."
)


def dealer_code_normalise(text: str) -> str:
    """Full-width to ASCII, spaces trimmed, upper case; does not check the format."""
    return unicodedata.normalize("NFKC", text or "").strip().upper()


def dealer_code_is_valid(code: str) -> bool:
    return isinstance(code, str) and _DEALER_CODE.fullmatch(code) is not None


def validate_dealer_code(value: str) -> None:
    """Model field validator: the admin and every model form show the translated message."""
    if not dealer_code_is_valid(value):
        raise ValidationError(DEALER_CODE_MESSAGE, code="invalid_dealer_code")
