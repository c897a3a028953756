"""Who may hold a voucher of a definition beyond being named by its holder type: the first-owner
benefit (member and vehicle) and the repurchase benefit (a member who has owned one of our cars).

Pure, over `vehicles.selectors.OwnershipFacts`, so one rule serves every way of issuing: one voucher
(`voucher_issue`: back office, API, events, campaigns, orders), a bulk batch (facts fetched for many
members at once) and the owner's claim (`vouchers.claims.claim_assessment`, which the claim centre
page calls too).
"""

from vehicles.selectors import OwnershipFacts

from .exceptions import HolderMissing, NotFirstOwner, NotPastOwner
from .models import VoucherDefinition

Holder = VoucherDefinition.HolderType


def needs_ownership_facts(definition: VoucherDefinition) -> bool:
    """Whether `holder_refusal` reads the member's ownership for this definition."""
    return definition.holder_type == Holder.MEMBER_VEHICLE or definition.holder_has_owned


def holder_refusal(
    definition: VoucherDefinition,
    *,
    member_id: int | None,
    vehicle_id: int | None,
    ownership: OwnershipFacts,
) -> HolderMissing | None:
    """Why this member (and vehicle) may not hold `definition`'s vouchers, or None when they may.

    `ownership` is the member's (empty when there is no member).
    """
    if definition.holder_type == Holder.MEMBER_VEHICLE:
        if member_id is None or vehicle_id is None or vehicle_id not in ownership.owned:
            return HolderMissing(holder=Holder.MEMBER_VEHICLE.label)
        if vehicle_id not in ownership.first_owned:
            return NotFirstOwner()  # a used car's buyer owns it, but the benefit was the first owner's
    if definition.holder_has_owned and (member_id is None or not ownership.ever_owned):
        return NotPastOwner()  # whether or not they own one now: a past ownership is enough
    return None
