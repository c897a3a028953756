"""Phone numbers: accepted in any common Taiwanese spelling, stored in E.164 (+8869XXXXXXXX)."""

import unicodedata

import phonenumbers

from .exceptions import InvalidPhone

DEFAULT_REGION = "TW"
# A member's number must take SMS: landlines and toll-free numbers are refused.
_MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)


def phone_normalise(raw: str) -> str:
    """Return the E.164 form of `raw` or raise InvalidPhone. Never raises anything else."""
    if not isinstance(raw, str):
        raise InvalidPhone()
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or len(text) > 32:
        raise InvalidPhone()
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone() from exc
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise InvalidPhone()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_region(e164: str) -> str:
    """The ISO country code of a normalised number ("TW"), or "" when it has none."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, DEFAULT_REGION)) or ""
    except phonenumbers.NumberParseException:
        return ""


def phone_national(e164: str) -> str:
    """0912-345-678 style for display."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return national.replace(" ", "-")


def phone_masked(e164: str) -> str:
    """0912-***-678: enough for an advisor to confirm with the customer, not enough to call."""
    national = phone_national(e164)
    digits = [c for c in national if c.isdigit()]
    if len(digits) < 7:
        return "***"
    shown = "".join(digits[:4]) + "-***-" + "".join(digits[-3:])
    return shown
