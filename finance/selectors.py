"""Finance's reads: cumulative money per category at a day, the liability, the deferred-revenue
roll-forward and revenue per month. Facts (daily sums) plus the ledger entries written since the
last refresh, so every figure is current without scanning the ledger."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum

from config.db_router import replica_alias
from vouchers.models import LedgerEntry, VoucherDefinition

from .breakage import Cumulative, breakage_advance, rate_from_history
from .ledger_reading import iterate, paid_entries, sum_by_day_category
from .models import BreakageRate, FactsState, MoneyFact

CATEGORIES = list(VoucherDefinition.Category.values)
_FACT_COLUMNS = {
    "sales": "sales_twd",
    "used": "used_twd",
    "uses": "uses",
    "released": "released_twd",
    "refunded": "refunded_twd",
    "written_off": "written_off_twd",
    "open_uses": "open_uses",
}


class MoneyBook:
    """Per-category sums over a range of days: the daily facts, plus (`live`) the ledger entries
    written since their last refresh, read by id from the primary. The report pages read the facts
    alone (as of their last refresh, shown on the page); the commands and the services read live."""

    def __init__(self, *, live: bool = True) -> None:
        # Facts and their watermark from the replica when there is one; the ledger entries past that
        # watermark from the primary, so a replica's lag is covered by the tail, never counted twice.
        self._db = replica_alias()
        state = FactsState.objects.using(self._db).filter(name="money").first()
        last = state.last_ledger_id if state else 0
        self._tail: dict = {}
        if live:
            tail_rows = paid_entries(LedgerEntry.objects.filter(pk__gt=last))
            self._tail, _ = sum_by_day_category(iterate(tail_rows))

    def between(self, first: date | None, last: date) -> dict[str, Cumulative]:
        """Sums per category of the days from `first` (None: the beginning) to `last`, inclusive."""
        facts = MoneyFact.objects.using(self._db).filter(day__lte=last)
        if first is not None:
            facts = facts.filter(day__gte=first)
        totals = {
            row["category"]: Cumulative(**{k: row[k] or 0 for k in _FACT_COLUMNS})
            for row in facts.values("category").annotate(
                **{k: Sum(column) for k, column in _FACT_COLUMNS.items()}
            )
        }
        for (day, category), values in self._tail.items():
            if day <= last and (first is None or day >= first):
                totals[category] = totals.get(category, Cumulative()) + Cumulative(**values)
        return totals

    def through(self, last: date) -> dict[str, Cumulative]:
        return self.between(None, last)


def rate_in_force(category: str, day: date, cumulative: Cumulative) -> tuple[int, str]:
    """(basis points, "set" | "history") of a category's expected breakage at the end of `day`."""
    rate = (
        BreakageRate.objects.filter(category=category, effective_from__lte=day)
        .order_by("-effective_from")
        .values_list("rate_bp", flat=True)
        .first()
    )
    if rate is not None:
        return rate, "set"
    return rate_from_history(cumulative), "history"


@dataclass(frozen=True)
class LiabilityRow:
    category: str
    uses_left: int
    liability: int  # the amount paid allocated to the uses still left
    rate_bp: int
    rate_source: str
    expected_breakage: int  # recognised ahead of expiry (breakage_advance)
    deferred_revenue: int


def _liability_rows(cumulative: dict[str, Cumulative], day: date) -> list[LiabilityRow]:
    rows = []
    for category in CATEGORIES:
        c = cumulative.get(category, Cumulative())
        rate, source = rate_in_force(category, day, c)
        advance = breakage_advance(c, rate)
        rows.append(
            LiabilityRow(
                category=category,
                uses_left=c.open_uses,
                liability=c.uses_left_value,
                rate_bp=rate,
                rate_source=source,
                expected_breakage=advance,
                deferred_revenue=c.uses_left_value - advance,
            )
        )
    return rows


def liability_at(*, as_of: date, book: MoneyBook | None = None) -> list[LiabilityRow]:
    """Per category at the end of `as_of` (Asia/Taipei)."""
    book = book or MoneyBook()
    return _liability_rows(book.through(as_of), as_of)


@dataclass(frozen=True)
class RollforwardRow:
    category: str
    opening: int
    sales: int
    recognised: int
    refunded: int
    breakage: int
    closing: int

    @property
    def balances(self) -> bool:
        return self.closing == self.opening + self.sales - self.recognised - self.refunded - self.breakage


def rollforward(*, first: date, last: date, book: MoneyBook | None = None) -> list[RollforwardRow]:
    """Deferred revenue per category from the start of `first` to the end of `last`, to the dollar:
    closing = opening + sales − recognised − refunded − breakage; then a total row ("total")."""
    book = book or MoneyBook()
    opening_day = first - timedelta(days=1)
    opening = {r.category: r for r in _liability_rows(book.through(opening_day), opening_day)}
    closing = {r.category: r for r in _liability_rows(book.through(last), last)}
    period = book.between(first, last)
    rows = []
    for category in CATEGORIES:
        p = period.get(category, Cumulative())
        o, c = opening[category], closing[category]
        rows.append(
            RollforwardRow(
                category=category,
                opening=o.deferred_revenue,
                sales=p.sales,
                recognised=p.used + p.released - p.refunded,
                refunded=p.refunded,
                breakage=p.written_off + c.expected_breakage - o.expected_breakage,
                closing=c.deferred_revenue,
            )
        )
    rows.append(
        RollforwardRow(
            "total",
            *(
                sum(getattr(r, f) for r in rows)
                for f in RollforwardRow.__dataclass_fields__
                if f != "category"
            ),
        )
    )
    return rows


@dataclass(frozen=True)
class RevenueRow:
    month: date
    category: str
    uses: int
    from_uses: int  # one use at a time: each use's share of its voucher's amount
    kept_from_refunds: int
    breakage: int

    @property
    def total(self) -> int:
        return self.from_uses + self.kept_from_refunds + self.breakage


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def revenue_by_month(*, first: date, last: date, book: MoneyBook | None = None) -> list[RevenueRow]:
    """Revenue recognised per month and category for the months from `first`'s to `last`'s."""
    book = book or MoneyBook()
    rows = []
    month = first.replace(day=1)
    while month <= last:
        for r in rollforward(first=month, last=month_end(month), book=book)[:-1]:
            period = book.between(month, month_end(month)).get(r.category, Cumulative())
            rows.append(
                RevenueRow(
                    month=month,
                    category=r.category,
                    uses=period.uses,
                    from_uses=period.used,
                    kept_from_refunds=period.released - period.refunded,
                    breakage=r.breakage,
                )
            )
        month = month_end(month) + timedelta(days=1)
    return rows


def revenue_totals(rows: list[RevenueRow]) -> dict[date, int]:
    totals: dict[date, int] = defaultdict(int)
    for row in rows:
        totals[row.month] += row.total
    return dict(totals)
