"""The owner's tier and points in the counter's owner panel (redemption's extension point): two
columns on the owner's row, read with the vehicle (no query of its own)."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Expression, OuterRef, Subquery
from django.utils.translation import gettext as _

from redemption.owner_panel import OwnerFact, PanelProvider, PanelScope, owner_panel_register

from .models import PointsAccount, TierStanding


def _annotate(owner_id: OuterRef, scope: PanelScope) -> dict[str, Expression]:
    return {
        "tier": Subquery(TierStanding.objects.filter(account__member_id=owner_id).values("tier__name")[:1]),
        "balance": Subquery(PointsAccount.objects.filter(member_id=owner_id).values("balance")[:1]),
    }


def _present(owner, columns: Mapping[str, Any], scope: PanelScope) -> list[OwnerFact]:
    return [
        OwnerFact(label=_("Tier"), value=columns["tier"] or "—", key="tier"),
        OwnerFact(label=_("Points"), value=f"{columns['balance'] or 0:,}", key="points"),
    ]


def register() -> None:
    owner_panel_register(PanelProvider(name="loyalty", order=10, annotate=_annotate, present=_present))
