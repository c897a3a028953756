"""The points liability: outstanding points at the end of a day × what one point is worth.

The figures are loyalty's (`loyalty.liability`, read from its lots in one grouped query); this module
lays them out. A money report: Finance and Operations read it, dealer managers do not (points belong
to members, not to a dealer).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.liability import point_value, points_outstanding

from ..charts import ChartSpec, Series
from ..query import ReportQuery
from ..registry import Column, Report, ReportResult, register
from .common import month_label
from .finance import MONEY_PERMISSION


def _end_of(day) -> datetime:
    """The end of a day in Asia/Taipei: the next day's midnight (what was written before it counts)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@register
class PointsLiabilityReport(Report):
    slug = "points-liability"
    title = _("Points liability")
    description = _(
        "At the end of the last day of the range: members' outstanding points (earned, not spent, "
        "reversed or expired) × the value of one point set in the loyalty programme, by the tier the "
        "member held then and by the month the points expire."
    )
    filters = ()
    permission = MONEY_PERMISSION
    order = 55
    columns = [
        Column("tier", _("Tier"), "text"),
        Column("expires", _("Points expire in"), "text"),
        Column("points", _("Outstanding points"), "int"),
        Column("value", _("Points liability (NT$)"), "decimal"),
    ]

    def result(self, query: ReportQuery) -> ReportResult:
        per_point = point_value()
        found = points_outstanding(at=_end_of(query.end))
        no_tier = str(_("No tier"))
        rows = [
            {
                "tier": o.tier.name if o.tier else no_tier,
                "expires": month_label(o.expires),
                "points": o.points,
                "value": o.value(per_point),
            }
            for o in found
        ]
        total_points = sum(o.points for o in found)
        rows.append(
            {
                "tier": str(_("Total")),
                "expires": "",
                "points": total_points,
                "value": per_point * total_points,
            }
        )
        months = sorted({o.expires for o in found})
        tiers = list(dict.fromkeys(o.tier.name if o.tier else no_tier for o in found))
        values: dict[tuple[str, object], Decimal] = {
            (o.tier.name if o.tier else no_tier, o.expires): o.value(per_point) for o in found
        }
        chart = ChartSpec(
            kind="bar",
            title=_("Points liability (NT$) by expiry month and tier"),
            x_labels=[month_label(m) for m in months],
            series=[Series(tier, [float(values.get((tier, m), 0)) for m in months]) for tier in tiers],
        )
        notes = [
            _("As of the end of %(day)s (Asia/Taipei); one point is worth NT$%(value)s.")
            % {"day": query.end, "value": f"{per_point.normalize():f}"}
        ]
        if not per_point:
            notes.append(_("The value of one point is not set in the loyalty programme yet."))
        return ReportResult(columns=self.columns, rows=rows, chart=chart, notes=notes)
