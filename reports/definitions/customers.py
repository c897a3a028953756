"""Report 4: customer KPIs per home dealer (the vehicle's selling dealer) and month."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ..charts import ChartSpec, Series
from ..models import CustomerMonthFact
from ..query import ReportQuery
from ..registry import Column, Report, ReportResult, register
from .common import dealer_labels, dealer_q, month_label, ratio

FIGURES = (
    "vehicles",
    "visits_12m",
    "redemptions_12m",
    "service_days_12m",
    "active_12m",
    "buyers_12m",
    "repeat_buyers_12m",
    "delivered",
    "first_serviced",
    "winback_targets",
    "winback_recovered",
)


def kpis(f: dict) -> dict:
    """The rates of one row from its counts (the same arithmetic for a dealer and for the network)."""
    vehicles = f["vehicles"]
    return {
        "vehicles": vehicles,
        "per_vehicle": round(f["service_days_12m"] / vehicles, 2) if vehicles else None,
        "visits_12m": f["visits_12m"],
        "redemptions_12m": f["redemptions_12m"],
        "churned": vehicles - f["active_12m"] if vehicles else 0,
        "churn": ratio(vehicles - f["active_12m"], vehicles),
        "repurchase": ratio(f["repeat_buyers_12m"], f["buyers_12m"]),
        "delivered": f["delivered"],
        "first_service": ratio(f["first_serviced"], f["delivered"]),
        "winback_targets": f["winback_targets"],
        "winback": ratio(f["winback_recovered"], f["winback_targets"]),
    }


@register
class CustomerKpiReport(Report):
    slug = "customer-kpis"
    title = _("Customer KPIs")
    description = _(
        "Per home dealer and month: visits per vehicle per year (workshop visits and redemptions), churn "
        "(no visit in 12 months), repurchase rate, first-service conversion and win-back recovery."
    )
    filters = ("dealer",)
    monthly = True
    order = 40

    columns = [
        Column("month", _("Month"), "text"),
        Column("dealer", _("Home dealer"), "text"),
        Column("vehicles", _("Vehicles")),
        Column("per_vehicle", _("Visits per vehicle per year"), "decimal"),
        Column("visits_12m", _("Workshop visits (12 months)")),
        Column("redemptions_12m", _("Redemptions (12 months)")),
        Column("churned", _("No visit in 12 months")),
        Column("churn", _("Churn (%)"), "percent"),
        Column("repurchase", _("Repurchase rate (%)"), "percent"),
        Column("delivered", _("New cars delivered")),
        Column("first_service", _("First-service conversion (%)"), "percent"),
        Column("winback_targets", _("Win-back offers")),
        Column("winback", _("Win-back recovery (%)"), "percent"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        grouped = list(
            CustomerMonthFact.objects.filter(dealer_q(query), month__gte=query.start, month__lte=query.end)
            .values("month", "dealer_id")
            .annotate(**{f: Sum(f) for f in FIGURES})
            .order_by("month", "dealer_id")
        )
        dealers = dealer_labels({g["dealer_id"] for g in grouped})
        rows = []
        network: dict = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
        for g in grouped:
            rows.append(
                {
                    "month": month_label(g["month"]),
                    "dealer": dealers.get(g["dealer_id"]) or str(_("No home dealer")),
                    **kpis(g),
                }
            )
            for f in FIGURES:
                network[month_label(g["month"])][f] += g[f] or 0
        months = [month_label(m) for m in query.months()]
        trend = {m: kpis(network[m]) for m in months}
        chart = ChartSpec(
            kind="line",
            title=_("Churn, repurchase, first-service conversion and win-back recovery (%)"),
            x_labels=months,
            unit="%",
            series=[
                Series(_("Churn (%)"), [trend[m]["churn"] for m in months]),
                Series(_("Repurchase rate (%)"), [trend[m]["repurchase"] for m in months]),
                Series(_("First-service conversion (%)"), [trend[m]["first_service"] for m in months]),
                Series(_("Win-back recovery (%)"), [trend[m]["winback"] for m in months]),
            ],
        )
        return ReportResult(columns=self.columns, rows=rows, chart=chart)
