"""What a person asks a report for: a date range in Asia/Taipei and optional filters.

`dealer_id` is forced to the reader's own dealer for a dealer manager (access.py) before a report sees
the query, so no report can forget the scoping.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date


@dataclass(frozen=True)
class ReportQuery:
    start: date
    end: date  # inclusive
    dealer_id: int | None = None
    category: str = ""
    definition_id: int | None = None
    bundle_id: int | None = None
    model_id: int | None = None
    channel: str = ""

    def whole_months(self) -> ReportQuery:
        """The range widened to whole calendar months (for figures counted per month)."""
        return replace(self, start=self.start.replace(day=1), end=month_end(self.end))

    def months(self) -> list[date]:
        """First days of every month the range touches, in order."""
        months, current = [], self.start.replace(day=1)
        while current <= self.end:
            months.append(current)
            current = add_months(current, 1)
        return months


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); only used on first days of months and clamps otherwise."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    from calendar import monthrange

    return date(year, month, min(day.day, monthrange(year, month)[1]))


def month_end(day: date) -> date:
    from calendar import monthrange

    return day.replace(day=monthrange(day.year, day.month)[1])
