"""The owner panel as the counter's vehicle page shows it: the providers' facts (no query: read with
the vehicle) and the owner's recent visits and redemptions at every dealer (one query)."""

from dataclasses import dataclass
from typing import Any

from members.models import Member

from .models import Redemption
from .owner_panel import OwnerFact, PanelScope, owner_panel_facts
from .presentation import mileage_text, urls_by_id
from .selectors import ServiceEvent, owner_recent_services


@dataclass(frozen=True)
class RecentLine:
    event: ServiceEvent
    on: str  # the day, as the template filter `date:"Y-m-d"` writes it
    vehicle_url: str  # the car's counter page
    status_label: str
    receipt_url: str  # a redemption of the advisor's own dealer: its receipt is theirs to open; else ""
    mileage: str  # grouped ("12,345"); "" when no reading was recorded


@dataclass(frozen=True)
class OwnerPanel:
    facts: list[OwnerFact]
    recent: list[RecentLine]


def _lines(events: list[ServiceEvent], scope: PanelScope) -> list[RecentLine]:
    # The URLs, days and readings written here, not by template tags and filters per line.
    vehicle_url, receipt_url = urls_by_id("counter:vehicle"), urls_by_id("counter:receipt")
    lines = []
    for event in events:
        redemption = event.kind == "redemption"
        own = redemption and event.dealer_id == scope.dealer_id
        lines.append(
            RecentLine(
                event=event,
                on=event.on.isoformat(),
                vehicle_url=vehicle_url(event.vehicle_id),
                status_label=Redemption.status_label_of(event.status) if redemption else "",
                receipt_url=receipt_url(event.pk) if own else "",
                mileage=mileage_text(event.mileage_km, missing=""),
            )
        )
    return lines


def owner_panel(owner: Member | None, *, scope: PanelScope, row: Any = None) -> OwnerPanel | None:
    """None when nobody owns the car or the owner's personal data was erased."""
    if owner is None or owner.erased_at is not None:
        return None
    return OwnerPanel(
        facts=owner_panel_facts(owner, scope=scope, row=row),
        recent=_lines(owner_recent_services(member_id=owner.pk), scope),
    )
