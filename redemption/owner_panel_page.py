"""The owner panel as the counter's vehicle page shows it: the providers' facts (no query: read with
the vehicle) and the owner's recent visits and redemptions at every dealer (one query)."""

from dataclasses import dataclass
from typing import Any

from members.models import Member

from .models import Redemption
from .owner_panel import OwnerFact, PanelScope, owner_panel_facts
from .selectors import ServiceEvent, owner_recent_services


@dataclass(frozen=True)
class RecentLine:
    event: ServiceEvent
    status_label: str
    receipt_id: int | None  # a redemption of the advisor's own dealer: its receipt is theirs to open


@dataclass(frozen=True)
class OwnerPanel:
    facts: list[OwnerFact]
    recent: list[RecentLine]


def _line(event: ServiceEvent, scope: PanelScope) -> RecentLine:
    if event.kind != "redemption":
        return RecentLine(event=event, status_label="", receipt_id=None)
    own = event.dealer_id == scope.dealer_id
    return RecentLine(
        event=event,
        status_label=Redemption.status_label_of(event.status),
        receipt_id=event.pk if own else None,
    )


def owner_panel(owner: Member | None, *, scope: PanelScope, row: Any = None) -> OwnerPanel | None:
    """None when nobody owns the car or the owner's personal data was erased."""
    if owner is None or owner.erased_at is not None:
        return None
    return OwnerPanel(
        facts=owner_panel_facts(owner, scope=scope, row=row),
        recent=[_line(event, scope) for event in owner_recent_services(member_id=owner.pk)],
    )
