"""Report 1: demand by service category."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ..charts import ChartSpec, Series
from ..models import DemandFact
from ..query import ReportQuery
from ..registry import Column, Report, ReportResult, register
from .common import category_label, dealer_labels, dealer_q, month_label


@register
class DemandReport(Report):
    slug = "demand"
    title = _("Demand by service category")
    description = _(
        "Redemptions and distinct vehicles per service category, dealer and month, and the trend."
    )
    filters = ("dealer", "category", "model")
    monthly = True
    order = 10

    columns = [
        Column("month", _("Month"), "text"),
        Column("dealer", _("Dealer"), "text"),
        Column("category", _("Service category"), "text"),
        Column("redemptions", _("Redemptions"), "int"),
        Column("vehicles", _("Distinct vehicles"), "int"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        facts = DemandFact.objects.filter(dealer_q(query), month__gte=query.start, month__lte=query.end)
        if query.category:
            facts = facts.filter(category=query.category)
        if query.model_id:
            facts = facts.filter(model_id=query.model_id)
        grouped = list(
            facts.values_list("month", "dealer_id", "category")
            .annotate(r=Sum("redemptions"), v=Sum("vehicles"))
            .order_by("month", "dealer_id", "category")
        )
        dealers = dealer_labels({g[1] for g in grouped})
        rows = [
            {
                "month": month_label(month),
                "dealer": dealers.get(dealer_id, ""),
                "category": category_label(category),
                "redemptions": redemptions,
                "vehicles": vehicles,
            }
            for month, dealer_id, category, redemptions, vehicles in grouped
        ]
        months = [month_label(m) for m in query.months()]
        trend: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(months, 0))
        for row in rows:
            trend[row["category"]][row["month"]] += row["redemptions"]
        chart = ChartSpec(
            kind="line",
            title=_("Redemptions per month by service category"),
            x_labels=months,
            series=[Series(label, list(values.values())) for label, values in sorted(trend.items())],
        )
        return ReportResult(columns=self.columns, rows=rows, chart=chart)
