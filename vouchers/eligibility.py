"""Whether a voucher can be used for a vehicle at a dealer at a moment, and if not, every reason why.

Pure: it reads the voucher, its definition's restrictions (prefetch `allowed_models` and
`allowed_dealers` to keep list pages at a constant number of queries) and the ids of the vehicles
a member-held voucher may be used with.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from members.models import Dealer
from vehicles.models import Vehicle

from .models import Voucher, VoucherDefinition

Status = Voucher.Status
Holder = VoucherDefinition.HolderType


class Reason(models.TextChoices):
    """Why a voucher cannot be used: one reason per state it can be in, then the rules of the window,
    the vehicle and the dealer. The value is the stable error code the API answers with; the label
    is what the counter, the portal and the API's `detail` say (`redemption.presentation` adds
    where a held voucher is held)."""

    NOT_ACTIVE = "voucher_not_active", _("Not yet activated")
    HELD = "voucher_held", _("Held by a service in progress")
    LOCKED = "voucher_locked", _("Locked: a refund request or a review is pending")
    EXHAUSTED = "voucher_exhausted", _("Used: no uses left")
    EXPIRED = "voucher_expired", _("Expired")
    VOIDED = "voucher_voided", _("Voided")
    REFUNDED = "voucher_refunded", _("Refunded")
    NOT_YET_VALID = "voucher_not_yet_valid", _("Not yet valid")
    WRONG_VEHICLE = "vehicle_mismatch", _("Belongs to another vehicle")
    MODEL_NOT_ALLOWED = "model_not_allowed", _("Not valid for this vehicle model")
    DEALER_NOT_ALLOWED = "dealer_not_allowed", _("Not valid at this dealer")


@dataclass(frozen=True)
class ListedAt:
    """Whether the vehicle's model and the dealer pass the definition's lists (an empty list lets
    everyone through), when the caller read that with the voucher in one query
    (`vouchers.locks.voucher_for_use`) instead of loading the lists."""

    model: bool
    dealer: bool


# The reason each stored state other than active gives by itself (held: unless held here).
STATE_REASONS = {
    Status.INACTIVE: Reason.NOT_ACTIVE,
    Status.HELD: Reason.HELD,
    Status.LOCKED: Reason.LOCKED,
    Status.USED: Reason.EXHAUSTED,
    Status.EXPIRED: Reason.EXPIRED,
    Status.VOIDED: Reason.VOIDED,
    Status.REFUNDED: Reason.REFUNDED,
}


def voucher_ineligibility(
    voucher: Voucher,
    *,
    vehicle: Vehicle | None,
    dealer: Dealer | None,
    now: datetime,
    member_vehicle_ids: Collection[int] | None = None,
    allow_held: bool = False,
    listed: ListedAt | None = None,
) -> list[Reason]:
    """Every reason `voucher` cannot be used now; an empty list means usable.

    `member_vehicle_ids`: the vehicles the voucher's member may use it with (owner or driver);
    needed for member-held vouchers, ignored otherwise. `listed`: the definition's model and dealer
    lists already checked for this vehicle and dealer (else they are read from the definition).
    """
    reasons: list[Reason] = []
    status = voucher.status
    if voucher.uses_left <= 0 and status not in (Status.VOIDED, Status.REFUNDED):
        reasons.append(Reason.EXHAUSTED)
    elif status == Status.HELD:
        if not allow_held:
            reasons.append(Reason.HELD)
    elif status != Status.ACTIVE:
        reasons.append(STATE_REASONS.get(status, Reason.NOT_ACTIVE))

    if voucher.valid_until is not None and now > voucher.valid_until and Reason.EXPIRED not in reasons:
        reasons.append(Reason.EXPIRED)
    if voucher.valid_from is not None and now < voucher.valid_from:
        reasons.append(Reason.NOT_YET_VALID)

    definition = voucher.definition
    if vehicle is not None:
        holder_type = definition.holder_type
        if voucher.vehicle_id is not None:
            wrong_vehicle = voucher.vehicle_id != vehicle.pk
        else:
            wrong_vehicle = (
                voucher.member_id is not None
                and holder_type in (Holder.MEMBER, Holder.ORDER)
                and member_vehicle_ids is not None
                and vehicle.pk not in member_vehicle_ids
            )
        if wrong_vehicle:
            reasons.append(Reason.WRONG_VEHICLE)
        if listed is not None:
            model_listed = listed.model
        else:
            allowed_models = definition.allowed_models.all()
            model_listed = not allowed_models or vehicle.model_id in {m.pk for m in allowed_models}
        if not model_listed:
            reasons.append(Reason.MODEL_NOT_ALLOWED)
    if dealer is not None:
        if listed is not None:
            dealer_listed = listed.dealer
        else:
            allowed_dealers = definition.allowed_dealers.all()
            dealer_listed = not allowed_dealers or dealer.pk in {d.pk for d in allowed_dealers}
        cities = definition.cities_list
        if not dealer_listed or (cities and dealer.city not in cities):
            reasons.append(Reason.DEALER_NOT_ALLOWED)
    return reasons
