"""Whether a member may claim a definition (for a vehicle) now, and if not, every reason why.

One assessment for the claim service (`voucher_claim`, under the definition's lock) and the claim
centre page (which calls it for each offer and each of the member's vehicles), so the page never
offers what the service refuses nor hides what it allows. Pure: the facts about the member come from
`vouchers.selectors.claimant_facts`, fetched for one claim or for a whole page at once.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

from vehicles.models import Vehicle
from vehicles.selectors import OwnershipFacts

from .exceptions import ClaimRefused, HolderLimitReached, NotFirstOwner, NotPastOwner, StockExhausted
from .holder_rules import holder_refusal
from .models import VoucherDefinition

Definition = VoucherDefinition
Holder = Definition.HolderType


class ClaimRefusal(models.TextChoices):
    """Why a claim is refused; the label is what the page and the refusal say."""

    NOT_OPEN = "claim_not_open", _("This voucher is not open for claiming.")
    NOT_STARTED = "claim_not_started", _("Claiming has not started yet.")
    ENDED = "claim_ended", _("Claiming has ended.")
    TIER_TOO_LOW = "tier_too_low", _("Your membership tier is too low for this voucher.")
    NOT_YOUR_VEHICLE = "not_your_vehicle", _("Choose one of your own vehicles.")
    VEHICLE_NEEDED = "vehicle_needed", _("Choose the vehicle this voucher is for.")
    OWNERS_ONLY = "owners_only", _("Only vehicle owners can claim this voucher.")
    NOT_FIRST_OWNER = "not_first_owner", NotFirstOwner.default_message
    NOT_PAST_OWNER = "not_past_owner", NotPastOwner.default_message
    MODEL_NOT_ALLOWED = "claim_model_not_allowed", _("This voucher is only for certain vehicle models.")
    NO_DELIVERY_DATE = (
        "no_delivery_date",
        _("This voucher is valid relative to the delivery date; the vehicle has none."),
    )
    HOLDER_LIMIT = "holder_limit_reached", _("You have already claimed this voucher.")
    NO_STOCK = "stock_exhausted", _("No stock is left for this voucher.")


@dataclass(frozen=True)
class ClaimantFacts:
    """What the assessment needs to know about the member: see `vouchers.selectors.claimant_facts`."""

    member_id: int
    tier: int
    usable_vehicle_ids: frozenset[int]  # owned or driven now
    ownership: OwnershipFacts
    # {(definition id, vehicle id, member id): vouchers} of the holders this member can claim for
    held: Mapping[tuple[int, int | None, int | None], int] = field(default_factory=dict)


def claim_needs_vehicle(definition: VoucherDefinition) -> bool:
    """A car-held or first-owner voucher is claimed for a vehicle; so is one limited to some models."""
    return definition.holder_type in (Holder.VEHICLE, Holder.MEMBER_VEHICLE) or bool(
        definition.claim_models.all()
    )


def held_units(definition: VoucherDefinition, facts: ClaimantFacts, vehicle_id: int | None) -> int:
    """Units of `definition` the claim's holder already has, as the limit counts them (a series once)."""
    holder = definition.holder_type

    def mine(held_vehicle_id, held_member_id) -> bool:
        if holder == Holder.MEMBER:
            return held_vehicle_id is None and held_member_id == facts.member_id
        if holder == Holder.VEHICLE:
            return vehicle_id is not None and held_vehicle_id == vehicle_id
        return vehicle_id is not None and held_vehicle_id == vehicle_id and held_member_id == facts.member_id

    total = sum(
        n
        for (definition_id, held_vehicle, held_member), n in facts.held.items()
        if definition_id == definition.pk and mine(held_vehicle, held_member)
    )
    return total // max(1, definition.series_count)


def claim_assessment(
    definition: VoucherDefinition, *, facts: ClaimantFacts, vehicle: Vehicle | None, now: datetime
) -> list[ClaimRefusal]:
    """Every reason the member may not claim one unit of `definition` for `vehicle` now; empty: they may.

    Prefetch `claim_models` to keep a page of offers at a constant number of queries.
    """
    refusals: list[ClaimRefusal] = []
    if definition.status != Definition.Status.PUBLISHED or not definition.channel_claim:
        refusals.append(ClaimRefusal.NOT_OPEN)
    if definition.claim_starts_at and now < definition.claim_starts_at:
        refusals.append(ClaimRefusal.NOT_STARTED)
    if definition.claim_ends_at and now > definition.claim_ends_at:
        refusals.append(ClaimRefusal.ENDED)
    if definition.claim_min_tier and facts.tier < definition.claim_min_tier:
        refusals.append(ClaimRefusal.TIER_TOO_LOW)

    holder = definition.holder_type
    vehicle_id = vehicle.pk if vehicle is not None else None
    if vehicle is not None and vehicle_id not in facts.usable_vehicle_ids:
        refusals.append(ClaimRefusal.NOT_YOUR_VEHICLE)
    elif vehicle is None and claim_needs_vehicle(definition):
        refusals.append(ClaimRefusal.VEHICLE_NEEDED)
    # A first-owner benefit is for owners only, whatever the definition's own owners-only setting.
    if definition.claim_owners_only or holder == Holder.MEMBER_VEHICLE:
        owns = vehicle_id in facts.ownership.owned if vehicle is not None else bool(facts.ownership.owned)
        if not owns:
            refusals.append(ClaimRefusal.OWNERS_ONLY)
    if vehicle is not None or holder != Holder.MEMBER_VEHICLE:
        # The issuing rule itself, so a claim is refused exactly where issuing would be.
        problem = holder_refusal(
            definition,
            member_id=facts.member_id,
            vehicle_id=vehicle_id if holder != Holder.MEMBER else None,
            ownership=facts.ownership,
        )
        if isinstance(problem, NotFirstOwner):
            refusals.append(ClaimRefusal.NOT_FIRST_OWNER)
        elif isinstance(problem, NotPastOwner):
            refusals.append(ClaimRefusal.NOT_PAST_OWNER)
        elif problem is not None and ClaimRefusal.OWNERS_ONLY not in refusals:
            refusals.append(ClaimRefusal.OWNERS_ONLY)  # a first-owner benefit for a car not owned now
    claim_models = definition.claim_models.all()
    if claim_models and (vehicle is None or vehicle.model_id not in {m.pk for m in claim_models}):
        refusals.append(ClaimRefusal.MODEL_NOT_ALLOWED)
    needs_delivery = definition.validity_policy == Definition.ValidityPolicy.DELIVERY_WINDOW
    if needs_delivery and holder != Holder.MEMBER and vehicle is not None and vehicle.delivery_date is None:
        refusals.append(ClaimRefusal.NO_DELIVERY_DATE)
    limit = definition.per_holder_limit
    holder_vehicle_id = None if holder == Holder.MEMBER else vehicle_id
    counted = holder == Holder.MEMBER or vehicle is not None
    if limit is not None and counted and held_units(definition, facts, holder_vehicle_id) + 1 > limit:
        refusals.append(ClaimRefusal.HOLDER_LIMIT)
    stock_left = definition.stock_left
    if stock_left is not None and stock_left <= 0:
        refusals.append(ClaimRefusal.NO_STOCK)
    return refusals


_REFUSAL_ERRORS: dict[str, type[HolderLimitReached] | type[StockExhausted]] = {
    ClaimRefusal.HOLDER_LIMIT: HolderLimitReached,
    ClaimRefusal.NO_STOCK: StockExhausted,
}


def claim_refusal_error(refusal: ClaimRefusal) -> ClaimRefused | HolderLimitReached | StockExhausted:
    """The domain error the claim service raises for `refusal`, saying what the page says.

    The limit and the stock keep the error codes issuing answers with; the error carries the refusal.
    """
    error = _REFUSAL_ERRORS.get(refusal, ClaimRefused)(refusal.label)
    error.claim_refusal = refusal
    return error
