"""Reading the voucher ledger for money: paid vouchers' entries with what `finance.money` needs."""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from vouchers.models import LedgerEntry

from .money import EntryMoney, entry_money

FIELDS = (
    "pk",
    "created_at",
    "kind",
    "delta",
    "status_before",
    "status_after",
    "uses_left_after",
    "data",
    "voucher__amount_paid_twd",
    "voucher__uses_total",
    "voucher__definition__category",
)


def paid_entries(queryset: QuerySet[LedgerEntry] | None = None) -> QuerySet:
    """Entries of vouchers someone paid for (the others carry no money), as plain rows."""
    queryset = LedgerEntry.objects.all() if queryset is None else queryset
    return queryset.filter(voucher__amount_paid_twd__gt=0).order_by("pk").values_list(*FIELDS)


def row_money(row) -> tuple[int, date, str, EntryMoney]:
    pk, created_at, kind, delta, before, after, left, data, amount, uses_total, category = row
    refund = 0
    if kind == "refund_approved" and isinstance(data, dict):
        refund = int(data.get("amount_twd") or 0)
    money = entry_money(
        kind=kind,
        amount=amount,
        uses_total=uses_total,
        uses_left_after=left,
        delta=delta,
        status_before=before,
        status_after=after,
        refund_amount=refund,
    )
    day = created_at.astimezone(ZoneInfo(settings.TIME_ZONE)).date()
    return pk, day, category, money


MONEY_FIELDS = ("sales", "used", "uses", "released", "refunded", "written_off", "open_uses")


def sum_by_day_category(rows: Iterable) -> tuple[dict[tuple[date, str], dict[str, int]], int]:
    """The rows' money summed per (day, category), and the largest entry id read (0 if none)."""
    sums: dict[tuple[date, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(MONEY_FIELDS, 0))
    last = 0
    for row in rows:
        pk, day, category, money = row_money(row)
        last = max(last, pk)
        bucket = sums[(day, category)]
        for field in MONEY_FIELDS:
            bucket[field] += getattr(money, field)
    return dict(sums), last


def iterate(queryset: QuerySet, chunk_size: int = 5000) -> Iterator:
    return queryset.iterator(chunk_size=chunk_size)
