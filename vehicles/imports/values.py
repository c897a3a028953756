"""Cell values as DMS and CRM exports spell them: Gregorian and Republic-of-China dates, numbers, kinds.

Pure functions; each returns a value or raises its DomainError (a row's reason), never anything else.
"""

import re
import unicodedata
from datetime import date, datetime

from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

from ..models import Visit

ROC_OFFSET = 1911  # ROC year 1 is 1912: 115/12/06 is 2026-12-06

_SEPARATED = re.compile(r"^(\d{2,4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$")
_COMPACT = re.compile(r"^(\d{6,8})$")


class InvalidDate(DomainError):
    code = "malformed_date"
    default_message = _("%(value)s is not a date (2026-12-06, 2026/12/06, 115/12/06 or 1151206).")
    http_status = 400


class InvalidNumber(DomainError):
    code = "malformed_number"
    default_message = _("%(value)s is not a whole number.")
    http_status = 400


class InvalidKind(DomainError):
    code = "unknown_kind"
    default_message = _(
        "%(value)s is not a kind of visit (maintenance, repair, bodywork, inspection, wash, other)."
    )
    http_status = 400


def text(value: object) -> str:
    """A cell as trimmed text in NFKC (full-width digits and slashes become ASCII)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


def _year(digits: str) -> int:
    year = int(digits)
    return year + ROC_OFFSET if year < 1000 else year


def date_parse(value: object) -> date | None:
    """None for an empty cell; Gregorian or ROC dates with -, / or . or none (8 or 6-7 digits)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    try:
        match = _SEPARATED.match(raw)
        if match:
            year, month, day = match.groups()
            return date(_year(year), int(month), int(day))
        match = _COMPACT.match(raw)
        if match:
            digits = match.group(1)
            if len(digits) == 8:  # 20261206
                return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
            # 1151206 or 991206: the ROC year is what is left of month and day
            return date(_year(digits[:-4]), int(digits[-4:-2]), int(digits[-2:]))
    except ValueError:
        pass
    raise InvalidDate(value=raw[:40])


def int_parse(value: object, *, maximum: int = 2_000_000) -> int | None:
    raw = text(value).replace(",", "")
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > maximum:
        raise InvalidNumber(value=raw[:40])
    return int(raw)


def year_parse(value: object) -> int | None:
    """A model year, Gregorian or ROC (2025 or 114)."""
    number = int_parse(value)
    if number is None:
        return None
    year = _year(str(number))
    if not 1900 <= year <= 2100:
        raise InvalidNumber(value=text(value)[:40])
    return year


_KINDS = {
    **{kind.value: kind.value for kind in Visit.Kind},
    "保養": Visit.Kind.MAINTENANCE,
    "定期保養": Visit.Kind.MAINTENANCE,
    "維修": Visit.Kind.REPAIR,
    "一般維修": Visit.Kind.REPAIR,
    "鈑噴": Visit.Kind.BODYWORK,
    "鈑金": Visit.Kind.BODYWORK,
    "鈑金烤漆": Visit.Kind.BODYWORK,
    "檢驗": Visit.Kind.INSPECTION,
    "定檢": Visit.Kind.INSPECTION,
    "驗車": Visit.Kind.INSPECTION,
    "洗車": Visit.Kind.WASH,
    "美容": Visit.Kind.WASH,
    "其他": Visit.Kind.OTHER,
}


def kind_parse(value: object) -> str:
    raw = text(value).lower()
    if not raw:
        return Visit.Kind.OTHER
    try:
        return _KINDS[raw]
    except KeyError:
        raise InvalidKind(value=raw[:40]) from None


_YES = {"1", "y", "yes", "true", "是", "有", "v", "x"}


def flag_parse(value: object) -> bool:
    return text(value).lower() in _YES
