"""The claim centre's offers: each definition open for self-claim, its conditions (met or not for
this owner), its remaining stock and the vehicles it can go to.

This only decides what the page shows; `vouchers.services.voucher_claim` decides, under a lock,
whether a claim succeeds. Everything is computed from a constant number of queries.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from members.models import Member, Tier
from vehicles.models import Ownership, Vehicle
from vehicles.selectors import first_owned_vehicle_ids, vehicles_of_member
from vouchers.models import VoucherDefinition
from vouchers.presentation import Card, definition_card_preview, definition_validity_text, list_text

from .selectors import claimable_definitions, claimed_counts

Holder = VoucherDefinition.HolderType


@dataclass
class Condition:
    text: str
    met: bool | None = None  # None: information, not a condition on this owner


@dataclass
class Offer:
    definition: VoucherDefinition
    card: Card
    conditions: list[Condition] = field(default_factory=list)
    needs_vehicle: bool = False
    vehicles: list[Vehicle] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    @property
    def claimable(self) -> bool:
        return not self.blockers


def _held(definition: VoucherDefinition, counts: dict, member: Member, vehicle: Vehicle | None) -> int:
    """Units of `definition` this holder has, as the service counts them (a series counts once)."""
    holder = definition.holder_type
    vehicle_pk = vehicle.pk if vehicle is not None else None

    def mine(vehicle_id, member_id) -> bool:
        if holder == Holder.MEMBER:
            return vehicle_id is None and member_id == member.pk
        if holder == Holder.VEHICLE:
            return vehicle_pk is not None and vehicle_id == vehicle_pk
        return vehicle_pk is not None and vehicle_id == vehicle_pk and member_id == member.pk

    total = sum(
        n
        for (definition_id, vehicle_id, member_id), n in counts.items()
        if definition_id == definition.pk and mine(vehicle_id, member_id)
    )
    return total // max(1, definition.series_count)


def _at_limit(definition, counts, member, vehicle) -> bool:
    limit = definition.per_holder_limit
    return limit is not None and _held(definition, counts, member, vehicle) >= limit


def claim_offers(member: Member, *, now: datetime) -> list[Offer]:
    definitions = [d for d in claimable_definitions(now=now) if d.holder_type != Holder.ORDER]
    vehicles = list(vehicles_of_member(member))
    owned = set(Ownership.objects.current().filter(member=member).values_list("vehicle_id", flat=True))
    first_owned = first_owned_vehicle_ids(member.pk)
    counts = claimed_counts(member, [d.pk for d in definitions], [v.pk for v in vehicles])
    return [_offer(d, member, vehicles, owned, first_owned, counts, now) for d in definitions]


def _offer(definition, member, vehicles, owned, first_owned, counts, now) -> Offer:
    card = definition_card_preview(definition, now=now)
    card.validity = definition_validity_text(definition)
    card.left_badge = None
    offer = Offer(definition=definition, card=card)
    claim_models = list(definition.claim_models.all())
    holder = definition.holder_type
    offer.needs_vehicle = holder in (Holder.VEHICLE, Holder.MEMBER_VEHICLE) or bool(claim_models)

    if definition.claim_min_tier:
        met = member.tier >= definition.claim_min_tier
        offer.conditions.append(
            Condition(_("%(tier)s members or higher") % {"tier": Tier(definition.claim_min_tier).label}, met)
        )
        if not met:
            offer.blockers.append(_("Your membership tier is too low for this voucher."))
    owners_only = definition.claim_owners_only or holder == Holder.MEMBER_VEHICLE
    if owners_only:
        offer.conditions.append(Condition(_("Vehicle owners only"), bool(owned)))
        if not owned:
            offer.blockers.append(_("Only vehicle owners can claim this voucher."))
    if claim_models:
        allowed = {m.pk for m in claim_models}
        met = any(v.model_id in allowed for v in vehicles)
        offer.conditions.append(
            Condition(_("For %(models)s") % {"models": list_text(m.name for m in claim_models)}, met)
        )
    if definition.per_holder_limit is not None:
        limit = (
            _("Limit %(limit)s per member") if holder == Holder.MEMBER else _("Limit %(limit)s per vehicle")
        )
        offer.conditions.append(Condition(limit % {"limit": definition.per_holder_limit}))
    stock_left = definition.stock_left
    if stock_left is None:
        offer.conditions.append(Condition(_("Unlimited stock")))
    else:
        offer.conditions.append(Condition(_("%(left)s left") % {"left": max(0, stock_left)}))
        if stock_left <= 0:
            offer.blockers.append(_("No stock is left for this voucher."))
    if definition.claim_ends_at:
        offer.conditions.append(
            Condition(_("Claim by %(date)s") % {"date": _local_date(definition.claim_ends_at)})
        )

    if offer.needs_vehicle:
        offer.vehicles = [
            v
            for v in vehicles
            if (not owners_only or v.pk in owned)
            and (holder != Holder.MEMBER_VEHICLE or v.pk in first_owned)  # the claim service's rule too
            and (not claim_models or v.model_id in {m.pk for m in claim_models})
            and (holder == Holder.MEMBER or not _at_limit(definition, counts, member, v))
        ]
        if not offer.vehicles and not offer.blockers:
            offer.blockers.append(
                _("You have already claimed this voucher for each of your vehicles that can have it.")
                if any(_at_limit(definition, counts, member, v) for v in vehicles)
                else _("None of your vehicles can receive this voucher.")
            )
    if holder == Holder.MEMBER and _at_limit(definition, counts, member, None):
        offer.blockers.append(_("You have already claimed this voucher."))
    return offer


def _local_date(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d")
