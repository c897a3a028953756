"""Table rows of finance's reports and statements, the same for the pages, CSV and XLSX."""

from datetime import date

from .models import SettlementLine, SettlementStatement
from .selectors import LiabilityRow, RevenueRow, RollforwardRow

ROLLFORWARD_COLUMNS = ["category", "opening", "sales", "recognised", "refunded", "breakage", "closing"]
LIABILITY_COLUMNS = [
    "category",
    "uses_left",
    "liability",
    "breakage_rate",
    "expected_breakage",
    "deferred_revenue",
]
REVENUE_COLUMNS = ["month", "category", "uses", "from_uses", "kept_from_refunds", "breakage", "total"]
STATEMENT_COLUMNS = [
    "statement",
    "status",
    "dealer",
    "month",
    "kind",
    "adjustment",
    "occurred_at",
    "settles",
    "voucher",
    "definition",
    "funding",
    "quantity",
    "unit_price",
    "amount",
]


def percent(bp: int) -> str:
    return f"{bp / 100:.2f}%"


def rollforward_rows(rows: list[RollforwardRow]) -> list[list]:
    return [[getattr(r, c) for c in ROLLFORWARD_COLUMNS] for r in rows]


def liability_rows(rows: list[LiabilityRow]) -> list[list]:
    out = [
        [r.category, r.uses_left, r.liability, percent(r.rate_bp), r.expected_breakage, r.deferred_revenue]
        for r in rows
    ]
    out.append(
        [
            "total",
            *(sum(row[i] for row in out) for i in (1, 2)),
            "",
            *(sum(row[i] for row in out) for i in (4, 5)),
        ]
    )
    return out


def revenue_rows(rows: list[RevenueRow]) -> list[list]:
    return [
        [f"{r.month:%Y-%m}", r.category, r.uses, r.from_uses, r.kept_from_refunds, r.breakage, r.total]
        for r in rows
    ]


def statement_rows(statement: SettlementStatement, lines: list[SettlementLine] | None = None) -> list[list]:
    """One row per line, then a total row; `lines` for a preview that is not saved."""
    lines = list(statement.lines.select_related("voucher", "definition")) if lines is None else lines
    label = statement.number or ""
    status = statement.status if statement.pk else "preview"
    month = f"{statement.month:%Y-%m}"
    rows = [
        [
            label,
            status,
            statement.dealer.code,
            month,
            line.kind,
            "yes" if line.adjustment else "",
            line.occurred_at.isoformat(),
            line.source_key,
            line.voucher.code if line.voucher_id else "",
            line.definition.code if line.definition_id else "",
            line.funding,
            line.quantity,
            line.unit_price_twd,
            line.amount_twd,
        ]
        for line in lines
    ]
    total = sum(line.amount_twd for line in lines)
    rows.append([label, status, statement.dealer.code, month, "total", "", "", "", "", "", "", "", "", total])
    return rows


def month_label(month: date) -> str:
    return f"{month:%Y-%m}"
