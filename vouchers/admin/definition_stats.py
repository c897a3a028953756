"""Figures on a definition's page: its vouchers by state and its redemptions month by month."""

from datetime import date

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone

from ..models import LedgerEntry, Voucher, VoucherDefinition
from ..validity import add_months, start_of_day


def definition_vouchers_by_state(definition: VoucherDefinition) -> list[tuple[str, str, int]]:
    """(status, label, count) for every state, zeros included (one grouped query on an index)."""
    counts = dict(
        Voucher.objects.filter(definition=definition)
        .order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [(value, label, counts.get(value, 0)) for value, label in Voucher.Status.choices]


def definition_redemptions_by_month(definition: VoucherDefinition, *, months: int = 12) -> list[dict]:
    """Uses redeemed and reversed per calendar month (Asia/Taipei), oldest first, for `months` months."""
    today = timezone.localdate()
    first = add_months(date(today.year, today.month, 1), -(months - 1))
    rows = (
        LedgerEntry.objects.filter(
            voucher__definition=definition,
            kind__in=[LedgerEntry.Kind.REDEEMED, LedgerEntry.Kind.REVERSED],
            created_at__gte=start_of_day(first),
        )
        .annotate(month=TruncMonth("created_at", tzinfo=timezone.get_default_timezone()))
        .order_by()
        .values_list("month", "kind")
        .annotate(n=Count("pk"))
    )
    table: dict[date, dict[str, int]] = {}
    for month, kind, n in rows:
        key = month.date() if hasattr(month, "date") else month
        table.setdefault(key, {})[kind] = n
    result = []
    peak = 1
    for k in range(months):
        month = add_months(first, k)
        redeemed = table.get(month, {}).get(LedgerEntry.Kind.REDEEMED, 0)
        reversed_ = table.get(month, {}).get(LedgerEntry.Kind.REVERSED, 0)
        net = redeemed - reversed_
        peak = max(peak, net)
        result.append({"month": month, "redeemed": redeemed, "reversed": reversed_, "net": net})
    for row in result:
        row["percent"] = round(100 * max(row["net"], 0) / peak)
    return result
