"""An extension point: the counter's 360° owner panel (tier and points, last NPS, open requests,
contact preferences), filled by providers that higher apps (loyalty, campaigns) register from their
AppConfig.ready; this app never imports them.

The whole panel costs no query of its own: each provider declares the columns it needs as
subqueries on the owner's id, and the page adds every provider's columns to the query that already
reads the vehicle and its owner (`vehicles.selectors.vehicle_with_owner`). A caller without that
row reads them in one query on the owner's row (`owner_panel_facts` without `row`). A provider never
queries in `present`: it only turns its columns (and the owner row) into facts.

Scope: the page is shown to the advisors of every dealer. A provider decides what an advisor of
another dealer may see from `PanelScope.dealer_id` (e.g. an NPS comment stays with the dealer it is
about); an owner whose personal data was erased shows no panel at all.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Expression, OuterRef

from members.models import Member


@dataclass(frozen=True)
class OwnerFact:
    label: str
    value: str
    key: str  # stable, for tests and styling: data-testid="owner-<key>"
    detail: str = ""  # a second, quieter line (a date, a dealer, a comment)
    attention: bool = False  # worth the advisor's attention (a detractor, a request waiting)


@dataclass(frozen=True)
class PanelScope:
    """Who is looking: the advisor's dealer, and when."""

    dealer_id: int
    now: datetime


Annotate = Callable[[OuterRef, PanelScope], dict[str, Expression]]
Present = Callable[[Member, Mapping[str, Any], PanelScope], list[OwnerFact]]


@dataclass(frozen=True)
class PanelProvider:
    """`annotate(owner_id, scope)`: columns as expressions on the owner's id (an `OuterRef` to use
    inside subqueries); `present(owner, columns, scope)`: the facts, from those columns only.
    `order`: where its facts go in the panel (lower first). `annotate` names the same columns
    whatever the scope (only their values may depend on it)."""

    name: str
    order: int
    annotate: Annotate
    present: Present


_providers: dict[str, PanelProvider] = {}


def owner_panel_register(provider: PanelProvider) -> None:
    """Register (or replace, so a second `ready()` adds nothing) the provider of that name."""
    if not provider.name.isidentifier() or "__" in provider.name:
        raise ValueError(f"Provider name {provider.name!r} must be a plain identifier.")
    _providers[provider.name] = provider


def _ordered() -> list[PanelProvider]:
    return sorted(_providers.values(), key=lambda p: (p.order, p.name))


def _column(provider: PanelProvider, key: str) -> str:
    return f"panel_{provider.name}_{key}"


_names: dict[PanelProvider, tuple[tuple[str, str], ...]] = {}


def _column_names(provider: PanelProvider, scope: PanelScope) -> tuple[tuple[str, str], ...]:
    """(key, column) of the provider's columns. Building its expressions only to read their names
    cost the counter's page as much as a query's compilation: read once per provider (a provider
    names the same columns for every scope)."""
    names = _names.get(provider)
    if names is None:
        keys = provider.annotate(OuterRef("pk"), scope)
        names = _names[provider] = tuple((key, _column(provider, key)) for key in keys)
    return names


def owner_panel_annotations(owner_id: OuterRef, *, scope: PanelScope) -> dict[str, Expression]:
    """Every provider's columns, named apart so that two providers never collide."""
    columns: dict[str, Expression] = {}
    for provider in _ordered():
        for key, expression in provider.annotate(owner_id, scope).items():
            columns[_column(provider, key)] = expression
    return columns


def owner_panel_columns(owner_id: OuterRef, *, dealer_id: int, now: datetime) -> dict[str, Expression]:
    """`owner_panel_annotations` for the scope's values: the form `vehicle_with_owner` compiles once
    per process (its `owner_values` are the scope's fields, its `shape` `owner_panel_shape()`)."""
    return owner_panel_annotations(owner_id, scope=PanelScope(dealer_id=dealer_id, now=now))


def owner_panel_shape() -> tuple[PanelProvider, ...]:
    """What decides the panel's columns besides the scope: the providers registered now."""
    return tuple(_ordered())


def _row_for(owner: Member, scope: PanelScope) -> Any:
    """The owner's row with every provider's columns, in one query."""
    return (
        Member.objects.filter(pk=owner.pk)
        .annotate(**owner_panel_annotations(OuterRef("pk"), scope=scope))
        .only("pk")
        .first()
    )


def owner_panel_facts(owner: Member | None, *, scope: PanelScope, row: Any = None) -> list[OwnerFact]:
    """The panel's facts. `row`: an object carrying `owner_panel_annotations` (the vehicle read by
    `vehicle_with_owner(..., owner_annotations=...)`); without it, one query reads them."""
    if owner is None or owner.erased_at is not None:
        return []
    if row is None:
        row = _row_for(owner, scope)
    facts: list[OwnerFact] = []
    for provider in _ordered():
        columns = {key: getattr(row, column) for key, column in _column_names(provider, scope)}
        facts.extend(provider.present(owner, columns, scope))
    return facts
