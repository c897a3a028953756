"""The reports framework: a report is a class with a slug, a title, the filters it accepts, its columns,
its rows for a `ReportQuery`, and a chart spec. The pages, the CSV and XLSX exports and the benchmark all
work from this one description, so an export always carries exactly the page's numbers.

A report reads only its daily or monthly summary (fact) tables through `facts()` (the read replica when
one is configured; see config/db_router.py), never the ledger, so no page view scans the ledger.

Registering: subclass `Report`, decorate with `@register`. Another app (finance) registers its reports
from its AppConfig.ready the same way; the Reports section lists whatever is registered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from django.utils.functional import Promise

from .charts import ChartSpec
from .query import ReportQuery


@dataclass(frozen=True)
class Column:
    """One column: `kind` decides how a value is written (the page and both exports use `cell_text`).

    int: a count; twd: whole NT$; decimal: two decimal places (averages); percent: a percentage with
    one decimal, stored as that number (12.5 means 12.5 %), so the page, CSV and XLSX agree; text."""

    key: str
    label: str | Promise
    kind: str = "int"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


def cell_text(column: Column, value) -> str:
    """How a value reads on the page; the exports write the same number unformatted."""
    if value is None or value == "":
        return "—" if column.numeric else ""
    if column.kind in ("int", "twd"):
        return f"{int(value):,}"
    if column.kind in ("decimal", "percent"):
        return f"{float(value):,.2f}" if column.kind == "decimal" else f"{float(value):,.1f}"
    return str(value)


@dataclass
class ReportResult:
    columns: list[Column]
    rows: list[dict]
    chart: ChartSpec | None = None
    notes: list[str | Promise] = field(default_factory=list)


class Report:
    """Subclass and set the class attributes; implement `result(query)`."""

    slug: ClassVar[str]
    title: ClassVar[str | Promise]
    description: ClassVar[str | Promise] = ""
    # Filters offered on the page: any of "dealer", "category", "definition", "bundle", "model", "channel".
    filters: ClassVar[tuple[str, ...]] = ("dealer",)
    # Monthly reports count per calendar month: their range is widened to whole months.
    monthly: ClassVar[bool] = False
    # Who may read it, besides the scoping in access.py: a Django permission.
    permission: ClassVar[str] = "reports.view_reports"
    # The "definition" filter lists only paid voucher definitions (sales reports).
    paid_only: ClassVar[bool] = False
    order: ClassVar[int] = 100

    def result(self, query: ReportQuery) -> ReportResult:  # pragma: no cover - abstract
        raise NotImplementedError

    # The benchmark (bench/reports.py) times `result` and both exports for every registered report,
    # with this query; a report may narrow it to what a person would typically ask for.
    def bench_query(self, query: ReportQuery) -> ReportQuery:
        return query


_REGISTRY: dict[str, type[Report]] = {}


def register(report: type[Report]) -> type[Report]:
    if report.slug in _REGISTRY and _REGISTRY[report.slug] is not report:
        raise ValueError(f"Two reports use the slug {report.slug!r}.")
    _REGISTRY[report.slug] = report
    return report


def all_reports() -> list[Report]:
    return [cls() for cls in sorted(_REGISTRY.values(), key=lambda r: (r.order, r.slug))]


def get_report(slug: str) -> Report | None:
    cls = _REGISTRY.get(slug)
    return cls() if cls else None
