"""Report 2: take-up of packs and paid vouchers (a cohort: the orders paid in the range)."""

from __future__ import annotations

from django.db.models import Avg, Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from vouchers.models import Bundle, Order, VoucherDefinition

from ..charts import ChartSpec, Series
from ..models import OrderFact
from ..query import ReportQuery
from ..registry import Column, Report, ReportResult, register
from .common import dealer_q, ratio

CHANNELS = [c for c, _label in Order.Channel.choices]


@register
class TakeUpReport(Report):
    slug = "take-up"
    title = _("Take-up of packs and paid vouchers")
    description = _(
        "Packs and paid vouchers sold in the period by channel, revenue, uses consumed and left, days from "
        "purchase to first use, share never used and repeat purchases."
    )
    filters = ("dealer", "category", "definition", "bundle", "model", "channel")
    paid_only = True
    order = 20

    @property
    def columns(self) -> list[Column]:
        return [
            Column("product", _("Pack or voucher"), "text"),
            *[
                Column(f"sold_{c}", _("Sold: %(channel)s") % {"channel": label})
                for c, label in Order.Channel.choices
            ],
            Column("sold", _("Sold (units)")),
            Column("orders", _("Orders")),
            Column("revenue", _("Revenue (NT$)"), "twd"),
            Column("consumed", _("Uses consumed")),
            Column("left", _("Uses left")),
            Column("days_to_first_use", _("Days from purchase to first use (average)"), "decimal"),
            Column("never_used", _("Never used (% of orders)"), "percent"),
            Column("repeat", _("Repeat purchases")),
        ]

    def result(self, query: ReportQuery) -> ReportResult:
        facts = OrderFact.objects.filter(dealer_q(query), paid_on__gte=query.start, paid_on__lte=query.end)
        if query.category:
            facts = facts.filter(category=query.category)
        if query.definition_id:
            facts = facts.filter(definition_id=query.definition_id)
        if query.bundle_id:
            facts = facts.filter(bundle_id=query.bundle_id)
        if query.model_id:
            facts = facts.filter(model_id=query.model_id)
        if query.channel:
            facts = facts.filter(channel=query.channel)
        grouped = list(
            facts.values("bundle_id", "definition_id")
            .annotate(
                **{f"sold_{c}": Sum("quantity", filter=Q(channel=c), default=0) for c in CHANNELS},
                sold=Sum("quantity"),
                orders=Count("pk"),
                revenue=Sum("amount_twd"),
                consumed=Sum("uses_consumed"),
                left=Sum("uses_left"),
                days_to_first_use=Avg("days_to_first_use"),
                unused=Count("pk", filter=Q(uses_consumed=0)),
                repeat=Count("pk", filter=Q(repeat=True)),
            )
            .order_by("-revenue", "bundle_id", "definition_id")
        )
        packs = dict(
            Bundle.objects.filter(pk__in={g["bundle_id"] for g in grouped}).values_list("pk", "name")
        )
        vouchers = dict(
            VoucherDefinition.objects.filter(pk__in={g["definition_id"] for g in grouped}).values_list(
                "pk", "name"
            )
        )
        rows = []
        for g in grouped:
            name = (
                _("Pack: %(name)s") % {"name": packs.get(g["bundle_id"], "")}
                if g["bundle_id"]
                else _("Voucher: %(name)s") % {"name": vouchers.get(g["definition_id"], "")}
            )
            average = g["days_to_first_use"]
            rows.append(
                {
                    **{k: g[k] for k in ("sold", "orders", "revenue", "consumed", "left", "repeat")},
                    **{f"sold_{c}": g[f"sold_{c}"] for c in CHANNELS},
                    "product": str(name),
                    "days_to_first_use": round(float(average), 2) if average is not None else None,
                    "never_used": ratio(g["unused"], g["orders"]),
                }
            )
        chart = ChartSpec(
            kind="bar",
            title=_("Units sold per pack or voucher, by channel"),
            x_labels=[r["product"] for r in rows[:12]],
            series=[Series(label, [r[f"sold_{c}"] for r in rows[:12]]) for c, label in Order.Channel.choices],
        )
        return ReportResult(columns=self.columns, rows=rows, chart=chart)
