"""The counter's one search box: what did the advisor type or scan, and what does it find?

Accepted: a plate in any spelling, a VIN (or the end of one), a voucher code with or without
separators, or the owner portal's QR payload (`SV1:XXXX-XXXX-XXXX-XXXX`, typed by a keyboard-wedge
scanner). Code look-ups are rate-limited per advisor and per client address, because a code is a
bearer secret and guessing must stay hopeless; plates and VINs are not secrets.
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.utils.translation import gettext as _

from members.exceptions import RateLimited
from members.ratelimit import ratelimit_hit
from vehicles.models import Vehicle
from vouchers.codes import code_clean, code_parse
from vouchers.exceptions import CodeMalformed, CodeMistyped, VoucherNotFound
from vouchers.models import Voucher
from vouchers.selectors import voucher_by_code

from .selectors import counter_vehicles_matching, voucher_vehicles

QR_PREFIX = "SV1:"


class Outcome(StrEnum):
    EMPTY = "empty"  # nothing typed
    VEHICLE = "vehicle"  # exactly one vehicle: go straight to it
    CHOOSE = "choose"  # several (or only partial) matches: a short list
    NONE = "none"  # nothing found, or a refusal: a message


@dataclass
class SearchResult:
    outcome: Outcome
    text: str = ""
    vehicles: list[Vehicle] = field(default_factory=list)
    voucher: Voucher | None = None
    message: str = ""
    exact: bool = True
    truncated: bool = False
    http_status: int = 200

    @property
    def vehicle(self) -> Vehicle | None:
        return self.vehicles[0] if self.outcome == Outcome.VEHICLE else None


def looks_like_code(text: str) -> bool:
    """A QR payload, or 16 characters of the code alphabet (whether the check character fits or not)."""
    try:
        if code_clean(text).startswith(QR_PREFIX):
            return True
        code_parse(text)
    except CodeMistyped:
        return True
    except CodeMalformed:
        return False
    return True


def _limit_code_lookups(*, advisor_id: int, client_address: str) -> None:
    window = settings.COUNTER_CODE_LOOKUP_WINDOW_SECONDS
    ratelimit_hit(
        key=f"counter-code:advisor:{advisor_id}",
        limit=settings.COUNTER_CODE_LOOKUPS_PER_ADVISOR,
        window_seconds=window,
    )
    ratelimit_hit(
        key=f"counter-code:ip:{client_address}",
        limit=settings.COUNTER_CODE_LOOKUPS_PER_ADDRESS,
        window_seconds=window,
    )


def _by_code(text: str, *, advisor_id: int, client_address: str) -> SearchResult:
    try:
        _limit_code_lookups(advisor_id=advisor_id, client_address=client_address)
        voucher = voucher_by_code(text)
    except RateLimited as exc:
        return SearchResult(Outcome.NONE, text, message=exc.message, http_status=429)
    except (CodeMalformed, CodeMistyped, VoucherNotFound) as exc:
        return SearchResult(Outcome.NONE, text, message=exc.message)
    vehicles = voucher_vehicles(voucher)
    if not vehicles:
        return SearchResult(
            Outcome.NONE,
            text,
            voucher=voucher,
            message=_(
                "Voucher %(code)s is not linked to any vehicle. The owner can bind their car in the "
                "owner portal, or operations can do it for them."
            )
            % {"code": voucher.code_display},
        )
    outcome = Outcome.VEHICLE if len(vehicles) == 1 else Outcome.CHOOSE
    return SearchResult(outcome, text, vehicles=vehicles, voucher=voucher)


def counter_search(text: str, *, advisor_id: int, client_address: str) -> SearchResult:
    text = (text or "").strip()[:200]
    if not text:
        return SearchResult(Outcome.EMPTY)
    if looks_like_code(text):
        return _by_code(text, advisor_id=advisor_id, client_address=client_address)
    matches = counter_vehicles_matching(text)
    if not matches.vehicles:
        return SearchResult(
            Outcome.NONE,
            text,
            message=_(
                "Nothing matches “%(text)s”. Search by licence plate (ABC-1234), VIN, voucher code, "
                "or scan the owner's QR code."
            )
            % {"text": text},
        )
    if matches.exact and len(matches.vehicles) == 1:
        return SearchResult(Outcome.VEHICLE, text, vehicles=matches.vehicles)
    # A partial match never jumps to a vehicle by itself: the advisor confirms the car.
    return SearchResult(
        Outcome.CHOOSE, text, vehicles=matches.vehicles, exact=matches.exact, truncated=matches.truncated
    )
