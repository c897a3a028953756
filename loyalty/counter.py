"""The owner's tier and points in the counter's owner panel (redemption's extension point)."""

from django.utils.translation import gettext as _

from redemption.owner_panel import OwnerFact, owner_facts_register

from .selectors import counter_facts


def owner_loyalty_facts(member) -> list[OwnerFact]:
    if member.erased_at is not None:
        return []
    tier, balance = counter_facts(member)
    return [
        OwnerFact(label=_("Tier"), value=tier or "—", key="tier"),
        OwnerFact(label=_("Points"), value=f"{balance:,}", key="points"),
    ]


def register() -> None:
    owner_facts_register("loyalty", owner_loyalty_facts)
