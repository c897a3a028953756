"""Report 3: campaign and programme effect (a cohort: the vouchers issued and messages sent in the range)."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, Programme
from vouchers.models import VoucherDefinition

from ..charts import ChartSpec, Series
from ..models import CareFact, IssueFact, MessageFact
from ..query import ReportQuery
from ..registry import Column, Report, ReportResult, register
from .common import dealer_q, ratio

STAGES = ("issued", "activated", "redeemed", "redeemed_30", "redeemed_60", "redeemed_90")


def source_label(source: str, campaign_id: int | None, campaigns: dict) -> str:
    if campaign_id is not None:
        return str(_("Campaign: %(name)s") % {"name": campaigns.get(campaign_id, campaign_id)})
    label = dict(Programme.Key.choices).get(source) or dict(VoucherDefinition.TriggerEvent.choices).get(
        source
    )
    return str(_("Programme: %(name)s") % {"name": label or source})


@register
class CampaignEffectReport(Report):
    slug = "campaign-effect"
    title = _("Campaign and programme effect")
    description = _(
        "Messages sent; vouchers issued, activated and redeemed; redemptions within 30, 60 and 90 days of "
        "issue; and how many new cars that received the 100-day care messages came for a first service."
    )
    filters = ("dealer", "category", "definition")
    order = 30

    columns = [
        Column("source", _("Campaign or programme"), "text"),
        Column("sent", _("Messages sent")),
        Column("issued", _("Vouchers issued")),
        Column("activated", _("Activated")),
        Column("redeemed", _("Redeemed")),
        Column("redeemed_30", _("Redeemed within 30 days")),
        Column("redeemed_60", _("Redeemed within 60 days")),
        Column("redeemed_90", _("Redeemed within 90 days")),
        Column("redeemed_share", _("Redeemed (% of issued)"), "percent"),
        Column("delivered", _("New cars delivered")),
        Column("first_service", _("First service (% of new cars)"), "percent"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        issued = IssueFact.objects.filter(
            dealer_q(query), issued_on__gte=query.start, issued_on__lte=query.end
        )
        if query.category:
            issued = issued.filter(definition__category=query.category)
        if query.definition_id:
            issued = issued.filter(definition_id=query.definition_id)
        groups: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(("sent", *STAGES), 0))
        for row in issued.values("source", "campaign_id").annotate(**{s: Sum(s) for s in STAGES}).order_by():
            groups[(row["source"], row["campaign_id"])].update({s: row[s] for s in STAGES})
        notes = []
        # Messages go to members, not to a dealer or a voucher type: counted only network-wide.
        messages_shown = query.dealer_id is None and not query.category and not query.definition_id
        if messages_shown:
            for row in (
                MessageFact.objects.filter(sent_on__gte=query.start, sent_on__lte=query.end)
                .values("source", "campaign_id")
                .annotate(n=Sum("sent"))
                .order_by()
            ):
                groups[(row["source"], row["campaign_id"])]["sent"] = row["n"]
        else:
            notes.append(_("Messages are counted for the whole network only: not shown with these filters."))
        campaigns = dict(
            Campaign.objects.filter(pk__in={c for _s, c in groups if c is not None}).values_list("pk", "name")
        )
        rows = []
        for (source, campaign_id), g in groups.items():
            rows.append(
                {
                    "source": source_label(source, campaign_id, campaigns),
                    **g,
                    "sent": g["sent"] if messages_shown else None,
                    "redeemed_share": ratio(g["redeemed"], g["issued"]),
                    "delivered": None,
                    "first_service": None,
                }
            )
        rows.sort(key=lambda r: (-r["issued"], r["source"]))
        care = {
            cared: (vehicles or 0, served or 0)
            for cared, vehicles, served in CareFact.objects.filter(
                dealer_q(query), month__gte=query.start.replace(day=1), month__lte=query.end
            )
            .values_list("cared")
            .annotate(v=Sum("vehicles"), f=Sum("first_serviced"))
            .order_by()
        }
        for cared, label in (
            (True, _("New cars with the 100-day care messages")),
            (False, _("New cars without them (comparison)")),
        ):
            vehicles, served = care.get(cared, (0, 0))
            rows.append(
                {
                    "source": str(label),
                    **dict.fromkeys(("sent", *STAGES, "redeemed_share"), None),
                    "delivered": vehicles,
                    "first_service": ratio(served, vehicles),
                }
            )
        top = [r for r in rows if r["issued"]][:10]
        chart = ChartSpec(
            kind="bar",
            title=_("Vouchers issued, activated and redeemed"),
            x_labels=[r["source"] for r in top],
            series=[
                Series(_("Vouchers issued"), [r["issued"] for r in top]),
                Series(_("Activated"), [r["activated"] for r in top]),
                Series(_("Redeemed"), [r["redeemed"] for r in top]),
            ],
        )
        return ReportResult(columns=self.columns, rows=rows, chart=chart, notes=notes)
