"""Reports 5 and 6 (money, dealer settlement): the figures are finance's (finance.selectors, its daily
money facts and stored statements); this module only lays them out as the Reports section's pages."""

from __future__ import annotations

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from finance.models import SettlementStatement
from finance.selectors import MoneyBook, liability_at, revenue_by_month, rollforward
from members.models import Dealer

from ..charts import ChartSpec, Series
from ..query import ReportQuery
from ..registry import Column, Report, ReportResult, register
from .common import category_label, dealer_labels, dealer_q, month_label

MONEY_PERMISSION = "finance.view_money_reports"


def _category(code: str) -> str:
    return str(_("Total")) if code == "total" else category_label(code)


def _facts() -> MoneyBook:
    # Pages read the daily facts only (no ledger read per page view); they are as fresh as the last
    # refresh_money_facts run, which the page states.
    return MoneyBook(live=False)


def _only(rows, query: ReportQuery):
    return [r for r in rows if not query.category or r.category in (query.category, "total")]


@register
class LiabilityReport(Report):
    slug = "money-liability"
    title = _("Unredeemed liability")
    description = _(
        "At the end of the last day of the range: what was paid for paid vouchers, allocated to the uses "
        "still left; the expected breakage already recognised (IFRS 15 B46) and the deferred revenue."
    )
    filters = ("category",)
    permission = MONEY_PERMISSION
    order = 50
    columns = [
        Column("category", _("Service category"), "text"),
        Column("uses_left", _("Uses left"), "int"),
        Column("liability", _("Liability (NT$)"), "twd"),
        Column("rate", _("Expected breakage rate"), "percent"),
        Column("rate_source", _("Rate from"), "text"),
        Column("expected_breakage", _("Expected breakage recognised (NT$)"), "twd"),
        Column("deferred_revenue", _("Deferred revenue (NT$)"), "twd"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        found = _only(liability_at(as_of=query.end, book=_facts()), query)
        sources = {"set": _("Set by Finance"), "history": _("History")}
        rows = [
            {
                "category": _category(r.category),
                "uses_left": r.uses_left,
                "liability": r.liability,
                "rate": r.rate_bp / 100,
                "rate_source": str(sources[r.rate_source]),
                "expected_breakage": r.expected_breakage,
                "deferred_revenue": r.deferred_revenue,
            }
            for r in found
        ]
        if not query.category:
            keys = ("uses_left", "liability", "expected_breakage", "deferred_revenue")
            rows.append(
                {"category": _category("total"), **{k: sum(r[k] for r in rows) for k in keys}, "rate": None}
            )
        body = [r for r in rows if r["category"] != _category("total")]
        chart = ChartSpec(
            kind="bar",
            title=_("Liability and deferred revenue by service category"),
            x_labels=[r["category"] for r in body],
            series=[
                Series(_("Liability (NT$)"), [r["liability"] for r in body]),
                Series(_("Deferred revenue (NT$)"), [r["deferred_revenue"] for r in body]),
            ],
        )
        return ReportResult(
            columns=self.columns, rows=rows, chart=chart, notes=[_("As of %(day)s.") % {"day": query.end}]
        )


@register
class RollforwardReport(Report):
    slug = "money-rollforward"
    title = _("Deferred revenue roll-forward")
    description = _(
        "Per service category, to the dollar: closing = opening + sales − recognised − refunded − breakage."
    )
    filters = ("category",)
    permission = MONEY_PERMISSION
    order = 51
    columns = [
        Column("category", _("Service category"), "text"),
        Column("opening", _("Opening (NT$)"), "twd"),
        Column("sales", _("Sales (NT$)"), "twd"),
        Column("recognised", _("Recognised (NT$)"), "twd"),
        Column("refunded", _("Refunded (NT$)"), "twd"),
        Column("breakage", _("Breakage (NT$)"), "twd"),
        Column("closing", _("Closing (NT$)"), "twd"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        found = rollforward(first=query.start, last=query.end, book=_facts())
        if query.category:
            found = [r for r in found if r.category == query.category]
        keys = ("opening", "sales", "recognised", "refunded", "breakage", "closing")
        rows = [{"category": _category(r.category), **{k: getattr(r, k) for k in keys}} for r in found]
        body = [r for r in found if r.category != "total"]
        chart = ChartSpec(
            kind="bar",
            title=_("Movements of deferred revenue by service category"),
            x_labels=[_category(r.category) for r in body],
            series=[
                Series(_("Sales (NT$)"), [r.sales for r in body]),
                Series(_("Recognised (NT$)"), [max(r.recognised, 0) for r in body]),
                Series(_("Refunded (NT$)"), [r.refunded for r in body]),
                Series(_("Breakage (NT$)"), [max(r.breakage, 0) for r in body]),
            ],
        )
        return ReportResult(columns=self.columns, rows=rows, chart=chart)


@register
class RevenueReport(Report):
    slug = "money-revenue"
    title = _("Revenue recognised per month")
    description = _(
        "Each use recognises its share of what its voucher was paid (the last use the remainder); refunds "
        "keep what they do not pay back; breakage follows the uses at the expected rate, and what expires "
        "is breakage too."
    )
    filters = ("category",)
    permission = MONEY_PERMISSION
    monthly = True
    order = 52
    columns = [
        Column("month", _("Month"), "text"),
        Column("category", _("Service category"), "text"),
        Column("uses", _("Uses"), "int"),
        Column("from_uses", _("From uses (NT$)"), "twd"),
        Column("kept_from_refunds", _("Kept from refunds (NT$)"), "twd"),
        Column("breakage", _("Breakage (NT$)"), "twd"),
        Column("total", _("Revenue (NT$)"), "twd"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        found = revenue_by_month(first=query.start, last=query.end, book=_facts())
        if query.category:
            found = [r for r in found if r.category == query.category]
        rows = [
            {
                "month": month_label(r.month),
                "category": _category(r.category),
                "uses": r.uses,
                "from_uses": r.from_uses,
                "kept_from_refunds": r.kept_from_refunds,
                "breakage": r.breakage,
                "total": r.total,
            }
            for r in found
        ]
        months = [month_label(m) for m in query.months()]
        per_category: dict[str, dict[str, int]] = {}
        for row in rows:
            per_category.setdefault(row["category"], dict.fromkeys(months, 0))[row["month"]] += row["total"]
        chart = ChartSpec(
            kind="line",
            title=_("Revenue recognised per month by service category"),
            x_labels=months,
            series=[Series(label, list(values.values())) for label, values in sorted(per_category.items())],
        )
        return ReportResult(columns=self.columns, rows=rows, chart=chart)


@register
class SettlementReport(Report):
    slug = "settlement"
    title = _("Dealer settlement")
    description = _(
        "Per dealer and month: the uses of vouchers the brand funds or sold at their settlement prices, less "
        "reversals, and the counter sales the dealer owes the brand. Statements are approved and exported "
        "under Finance › Settlement statements."
    )
    filters = ("dealer",)
    permission = "finance.view_settlementstatement"
    monthly = True
    order = 60
    columns = [
        Column("month", _("Month"), "text"),
        Column("dealer", _("Dealer"), "text"),
        Column("number", _("Statement number"), "text"),
        Column("status", _("Status"), "text"),
        Column("uses", _("Uses settled"), "int"),
        Column("adjustments", _("Adjustments"), "int"),
        Column("owed_to_dealer", _("Owed to the dealer (NT$)"), "twd"),
        Column("owed_by_dealer", _("Owed by the dealer (NT$)"), "twd"),
        Column("balance", _("Balance (NT$)"), "twd"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        statements = list(
            SettlementStatement.objects.filter(dealer_q(query), month__gte=query.start, month__lte=query.end)
            .annotate(
                uses=Count("lines", filter=Q(lines__kind="redemption")),
                adjustments=Count("lines", filter=Q(lines__adjustment=True)),
            )
            .order_by("month", "dealer__code")
        )
        # Every dealer and month of the range, so a month nobody has drafted yet shows as such.
        found = {(s.month, s.dealer_id): s for s in statements}
        dealer_ids = set(
            Dealer.objects.filter(dealer_q(query, "pk"), is_active=True).values_list("pk", flat=True)
        )
        dealer_ids |= {s.dealer_id for s in statements}
        dealers = dealer_labels(dealer_ids)
        order = sorted(dealer_ids, key=lambda pk: dealers.get(pk, ""))
        rows = []
        for month in query.months():
            for dealer_id in order:
                s = found.get((month, dealer_id))
                rows.append(
                    {
                        "month": month_label(month),
                        "dealer": dealers.get(dealer_id, ""),
                        "number": (s.number or "") if s else "",
                        "status": str(s.get_status_display()) if s else str(_("Not drafted yet")),
                        "uses": s.uses if s else None,
                        "adjustments": s.adjustments if s else None,
                        "owed_to_dealer": s.owed_to_dealer_twd if s else None,
                        "owed_by_dealer": s.owed_by_dealer_twd if s else None,
                        "balance": s.total_twd if s else None,
                    }
                )
        months = [month_label(m) for m in query.months()]
        owed_to, owed_by = dict.fromkeys(months, 0), dict.fromkeys(months, 0)
        for row in rows:
            owed_to[row["month"]] += row["owed_to_dealer"] or 0
            owed_by[row["month"]] += row["owed_by_dealer"] or 0
        chart = ChartSpec(
            kind="bar",
            title=_("What the brand and the dealers owe each other per month"),
            x_labels=months,
            series=[
                Series(_("Owed to the dealer (NT$)"), list(owed_to.values())),
                Series(_("Owed by the dealer (NT$)"), list(owed_by.values())),
            ],
        )
        return ReportResult(columns=self.columns, rows=rows, chart=chart)
