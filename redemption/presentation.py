"""What the counter's vehicle page shows, built in a constant number of queries however many
vouchers the car has: vouchers usable here and now first, services in progress here, then every
other voucher with the reasons it cannot be used here; and the vehicle's service history."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.humanize.templatetags.humanize import intcomma
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from members.models import Dealer, Member
from vehicles.models import Vehicle
from vehicles.selectors import vehicle_current_owner, vehicle_driver_ids
from vouchers.eligibility import Reason, voucher_ineligibility
from vouchers.models import Voucher
from vouchers.presentation import Card, CardMaker

from .models import Redemption
from .selectors import (
    HistoryRow,
    counter_vehicle_vouchers,
    hold_is_stale,
    vehicle_service_history,
)
from .tokens import form_token_issue

USE_ACTION = "use"
COMPLETE_ACTION = "complete"
CANCEL_ACTION = "cancel"
REVERSE_ACTION = "reverse"


def use_target(*, voucher_id: int, vehicle_id: int) -> str:
    return f"voucher:{voucher_id}:vehicle:{vehicle_id}"


def redemption_target(redemption_id: int) -> str:
    return f"redemption:{redemption_id}"


def local_time(moment: datetime | None, pattern: str = "Y-m-d H:i") -> str:
    return formats.date_format(timezone.localtime(moment), pattern) if moment else ""


@dataclass
class VoucherRow:
    voucher: Voucher
    card: Card
    reasons: list[str] = field(default_factory=list)
    hold: Redemption | None = None
    hold_here: bool = False
    hold_stale: bool = False
    member_held: bool = False
    token: str = ""
    complete_token: str = ""
    cancel_token: str = ""
    highlighted: bool = False

    @property
    def reasons_text(self) -> str:
        return reasons_sentence(self.reasons)

    @property
    def code_tail(self) -> str:
        return self.voucher.code[-4:]


@dataclass
class VehiclePage:
    vehicle: Vehicle
    owner: Member | None
    usable: list[VoucherRow]
    in_service_here: list[VoucherRow]
    other: list[VoucherRow]
    history: list[HistoryRow]
    highlighted: VoucherRow | None = None

    @property
    def voucher_count(self) -> int:
        return len(self.usable) + len(self.in_service_here) + len(self.other)


def _held_elsewhere_text(hold: Redemption) -> str:
    return _("Held at %(dealer)s since %(time)s") % {
        "dealer": hold.dealer.name,
        "time": local_time(hold.started_at),
    }


def reasons_sentence(texts: Iterable[str]) -> str:
    """Reasons joined the way the language separates clauses ("A; B", zh-Hant "A；B")."""
    return pgettext("reason separator", "; ").join(texts)


def unusable_reason_texts(reasons: Iterable[Reason], *, hold: Redemption | None = None) -> list[str]:
    """Why a voucher cannot be used, in words, the same at the counter and in the portal: each
    reason's own label, except that a voucher held by a service says where and since when."""
    return [
        _held_elsewhere_text(hold) if reason == Reason.HELD and hold is not None else str(reason.label)
        for reason in reasons
    ]


def vehicle_page(
    *, vehicle: Vehicle, dealer: Dealer, user, now: datetime, highlight_voucher_id: int | None = None
) -> VehiclePage:
    owner = vehicle_current_owner(vehicle)
    people_ids = ([owner.pk] if owner else []) + vehicle_driver_ids(vehicle)
    vouchers = counter_vehicle_vouchers(vehicle, people_ids=people_ids)
    # The member-held vouchers listed are those of this car's current owner and drivers, so this
    # car is among the cars their member may use them with: no query for the members' other cars.
    this_car = {vehicle.pk}

    cards = CardMaker(now=now)
    usable, in_service_here, other = [], [], []
    highlighted = None
    for voucher in vouchers:
        member_held = voucher.vehicle_id is None
        member_vehicles = this_car if member_held else None
        hold = voucher.open_hold if voucher.status == Voucher.Status.HELD else None
        hold_here = hold is not None and hold.dealer_id == dealer.pk and hold.vehicle_id == vehicle.pk
        reasons = voucher_ineligibility(
            voucher,
            vehicle=vehicle,
            dealer=dealer,
            now=now,
            member_vehicle_ids=member_vehicles,
            allow_held=hold_here,
        )
        texts = unusable_reason_texts(reasons, hold=hold)
        row = VoucherRow(
            voucher=voucher,
            card=cards.card(voucher),
            reasons=texts,
            hold=hold,
            hold_here=hold_here,
            hold_stale=hold is not None and hold_is_stale(hold, now=now),
            member_held=member_held,
            highlighted=voucher.pk == highlight_voucher_id,
        )
        if hold_here:
            target = redemption_target(hold.pk)
            row.complete_token = form_token_issue(user_id=user.pk, action=COMPLETE_ACTION, target=target)
            row.cancel_token = form_token_issue(user_id=user.pk, action=CANCEL_ACTION, target=target)
            in_service_here.append(row)
        elif not reasons:
            row.token = form_token_issue(
                user_id=user.pk,
                action=USE_ACTION,
                target=use_target(voucher_id=voucher.pk, vehicle_id=vehicle.pk),
            )
            usable.append(row)
        else:
            other.append(row)
        if row.highlighted:
            highlighted = row
    return VehiclePage(
        vehicle=vehicle,
        owner=owner,
        usable=usable,
        in_service_here=in_service_here,
        other=other,
        history=vehicle_service_history(vehicle),
        highlighted=highlighted,
    )


@dataclass
class HistoryLine:
    """One row of the vehicle page's service history, its cells ready to print: a page lists up
    to 50, and filters, lookups and URL reversing in the template cost more than the query."""

    row: HistoryRow
    own_dealer: bool
    started: str  # "Y-m-d H:i", local time
    receipt_url: str  # the advisor's own dealer's redemptions only, else ""
    mileage: str  # grouped ("12,345") or "—"
    status_label: str


def _local_minute(moment: datetime) -> str:
    # What the template filter `date:"Y-m-d H:i"` writes, without the template machinery.
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def urls_by_id(name: str) -> Callable[[int], str]:
    """The URL named `name` for an id, with one reverse() for a whole page of lines: such URLs
    differ only in their one argument (an int path converter)."""
    head, _zero, tail = reverse(name, args=[0]).rpartition("/0/")
    return lambda pk: f"{head}/{pk}/{tail}"


def mileage_text(km: int | None, *, missing: str = "—") -> str:
    """A reading as the counter's lines show it: grouped ("12,345"), or `missing`."""
    return intcomma(km) if km is not None else missing


def history_lines(page: VehiclePage, *, dealer: Dealer) -> list[HistoryLine]:
    receipt_url = urls_by_id("counter:receipt")
    lines = []
    for r in page.history:
        own = r.dealer_id == dealer.pk
        lines.append(
            HistoryLine(
                row=r,
                own_dealer=own,
                started=_local_minute(r.started_at),
                receipt_url=receipt_url(r.pk) if own else "",
                mileage=mileage_text(r.mileage_km),
                status_label=Redemption.status_label_of(r.status),
            )
        )
    return lines
