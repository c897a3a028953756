"""The claim centre's offers: each definition open for self-claim, its conditions (met or not for
this owner), its remaining stock and the vehicles it can go to.

Whether an offer can be claimed, and for which vehicle, is `vouchers.claims.claim_assessment`: the
very function the claim service calls under its lock, asked here for each offer and each of the
owner's vehicles with facts fetched once. The conditions listed are information for the owner; the
blockers are the assessment's refusals. Everything is computed from a constant number of queries.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from members.models import Member, Tier
from vehicles.models import Vehicle
from vehicles.selectors import vehicles_of_member
from vouchers.claims import ClaimantFacts, ClaimRefusal, claim_assessment, claim_needs_vehicle
from vouchers.models import VoucherDefinition
from vouchers.presentation import Card, definition_card_preview, definition_validity_text, list_text
from vouchers.selectors import claimant_facts

from .selectors import claimable_definitions

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
    # The assessment for each vehicle offered (by pk), or for no vehicle (None)
    assessments: dict[int | None, list[ClaimRefusal]] = field(default_factory=dict)

    @property
    def claimable(self) -> bool:
        return not self.blockers


def claim_offers(member: Member, *, now: datetime) -> list[Offer]:
    definitions = [d for d in claimable_definitions(now=now) if d.holder_type != Holder.ORDER]
    vehicles = list(vehicles_of_member(member))
    facts = claimant_facts(member, definition_ids=[d.pk for d in definitions])
    return [_offer(d, vehicles, facts, now) for d in definitions]


def _offer(definition, vehicles, facts: ClaimantFacts, now) -> Offer:
    card = definition_card_preview(definition, now=now)
    card.validity = definition_validity_text(definition)
    card.left_badge = None
    offer = Offer(definition=definition, card=card, needs_vehicle=claim_needs_vehicle(definition))
    offer.conditions = _conditions(definition, vehicles, facts)
    if not offer.needs_vehicle:
        refusals = claim_assessment(definition, facts=facts, vehicle=None, now=now)
        offer.assessments[None] = refusals
        offer.blockers = [str(r.label) for r in refusals]
        return offer
    for vehicle in vehicles:
        offer.assessments[vehicle.pk] = claim_assessment(definition, facts=facts, vehicle=vehicle, now=now)
    offer.vehicles = [v for v in vehicles if not offer.assessments[v.pk]]
    if not offer.vehicles:
        refusals = [r for v in vehicles for r in offer.assessments[v.pk]]
        if not vehicles:
            offer.assessments[None] = claim_assessment(definition, facts=facts, vehicle=None, now=now)
            refusals = offer.assessments[None]
        offer.blockers = list(dict.fromkeys(_vehicle_blocker(r) for r in refusals))
    return offer


def _vehicle_blocker(refusal: ClaimRefusal) -> str:
    """What the page says when no vehicle of the owner's can have the voucher, for one reason."""
    if refusal == ClaimRefusal.VEHICLE_NEEDED:
        return _("None of your vehicles can receive this voucher.")
    if refusal == ClaimRefusal.HOLDER_LIMIT:
        return _("You have already claimed this voucher for each of your vehicles that can have it.")
    return str(refusal.label)


def _conditions(definition, vehicles, facts: ClaimantFacts) -> list[Condition]:
    """The conditions the offer lists, each marked met or not for this owner (information only)."""
    conditions = []
    holder = definition.holder_type
    if definition.claim_min_tier:
        conditions.append(
            Condition(
                _("%(tier)s members or higher") % {"tier": Tier(definition.claim_min_tier).label},
                facts.tier >= definition.claim_min_tier,
            )
        )
    if definition.claim_owners_only or holder == Holder.MEMBER_VEHICLE:
        conditions.append(Condition(_("Vehicle owners only"), bool(facts.ownership.owned)))
    if holder == Holder.MEMBER_VEHICLE:
        conditions.append(Condition(_("First owner only"), bool(facts.ownership.first_owned)))
    if definition.holder_has_owned:
        conditions.append(
            Condition(_("For members who have owned one of our cars"), facts.ownership.ever_owned)
        )
    claim_models = list(definition.claim_models.all())
    if claim_models:
        allowed = {m.pk for m in claim_models}
        conditions.append(
            Condition(
                _("For %(models)s") % {"models": list_text(m.name for m in claim_models)},
                any(v.model_id in allowed for v in vehicles),
            )
        )
    if definition.per_holder_limit is not None:
        limit = (
            _("Limit %(limit)s per member") if holder == Holder.MEMBER else _("Limit %(limit)s per vehicle")
        )
        conditions.append(Condition(limit % {"limit": definition.per_holder_limit}))
    stock_left = definition.stock_left
    if stock_left is None:
        conditions.append(Condition(_("Unlimited stock")))
    else:
        conditions.append(Condition(_("%(left)s left") % {"left": max(0, stock_left)}))
    if definition.claim_ends_at:
        conditions.append(Condition(_("Claim by %(date)s") % {"date": _local_date(definition.claim_ends_at)}))
    return conditions


def _local_date(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d")
