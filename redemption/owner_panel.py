"""An extension point: facts about the vehicle's owner that higher apps show in the counter's owner
panel (loyalty's tier and points). A higher app registers a provider from its AppConfig.ready; this
app never imports it. Each provider answers for one owner with a constant number of queries."""

from collections.abc import Callable
from dataclasses import dataclass

from members.models import Member


@dataclass(frozen=True)
class OwnerFact:
    label: str
    value: str
    key: str  # stable, for tests and styling: data-testid="owner-<key>"


Provider = Callable[[Member], list[OwnerFact]]
_providers: dict[str, Provider] = {}


def owner_facts_register(name: str, provider: Provider) -> None:
    """Register (or replace, so a second `ready()` adds nothing) the provider called `name`."""
    _providers[name] = provider


def owner_facts(member: Member | None) -> list[OwnerFact]:
    if member is None:
        return []
    facts: list[OwnerFact] = []
    for _name, provider in sorted(_providers.items()):
        facts.extend(provider(member))
    return facts
