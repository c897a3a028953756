"""The owner's last satisfaction answer (NPS) in the counter's owner panel (redemption's extension
point): columns on the owner's row, read with the vehicle (no query of its own).

Everyone at the counter sees the score, its date and the dealer it is about; the comment stays with
that dealer's staff (it is about their service, sometimes about an advisor by name)."""

from collections.abc import Mapping
from typing import Any

from django.db.models import Case, CharField, Expression, F, OuterRef, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from redemption.owner_panel import OwnerFact, PanelProvider, PanelScope, owner_panel_register

from .models import NpsSurvey
from .services.nps import DETRACTOR_MAX


def _annotate(owner_id: OuterRef, scope: PanelScope) -> dict[str, Expression]:
    last = NpsSurvey.objects.filter(member_id=owner_id, answered_at__isnull=False).order_by(
        "-answered_at", "-pk"
    )
    comment = last.annotate(
        shown=Case(
            When(dealer_id=scope.dealer_id, then=F("comment")), default=Value(""), output_field=CharField()
        )
    )
    return {
        "score": Subquery(last.values("score")[:1]),
        "answered_at": Subquery(last.values("answered_at")[:1]),
        "dealer": Subquery(last.values("dealer__name")[:1]),
        "comment": Subquery(comment.values("shown")[:1]),
    }


def _present(owner, columns: Mapping[str, Any], scope: PanelScope) -> list[OwnerFact]:
    score = columns["score"]
    if score is None:
        return [OwnerFact(label=_("Last satisfaction score"), value="—", key="nps")]
    detail = f"{timezone.localtime(columns['answered_at']):%Y-%m-%d} · {columns['dealer']}"
    if columns["comment"]:
        detail += " · " + _("“%(comment)s”") % {"comment": columns["comment"]}
    return [
        OwnerFact(
            label=_("Last satisfaction score"),
            value=_("%(score)s / 10") % {"score": score},
            detail=detail,
            key="nps",
            attention=score <= DETRACTOR_MAX,
        )
    ]


def register() -> None:
    owner_panel_register(PanelProvider(name="nps", order=20, annotate=_annotate, present=_present))
