"""What a dealer's statement for a month would contain: every redemption, reversal and counter sale
up to the month's end not yet on any statement (earlier ones are adjustments). Nothing is saved here."""

from datetime import date

from django.db.models import Exists, OuterRef

from members.models import Dealer
from vouchers.models import LedgerEntry, Order

from .funding import funding_class, settled_classes
from .models import SettlementLine
from .periods import month_bounds

Kind = SettlementLine.Kind


def _funding(entry: LedgerEntry) -> str:
    voucher = entry.voucher
    order = voucher.order
    return funding_class(
        definition_kind=voucher.definition.kind,
        source=voucher.source,
        order_channel=order.channel if order is not None else None,
        amount_paid=voucher.amount_paid_twd,
    )


def _unsettled_entries():
    return LedgerEntry.objects.filter(
        ~Exists(SettlementLine.objects.filter(ledger_entry=OuterRef("pk")))
    ).select_related("voucher__definition", "voucher__order")


def lines_for(*, dealer: Dealer, month: date) -> list[SettlementLine]:
    """Unsaved lines (no statement yet) for `dealer` and `month`, in the order they happened."""
    start, end = month_bounds(month)
    funded = settled_classes()
    lines: list[SettlementLine] = []

    def line(kind, entry, funding, quantity, price):
        lines.append(
            SettlementLine(
                kind=kind,
                source_key=f"ledger:{entry.pk}",
                ledger_entry=entry,
                voucher=entry.voucher,
                definition=entry.voucher.definition,
                funding=funding,
                occurred_at=entry.created_at,
                adjustment=entry.created_at < start,
                quantity=quantity,
                unit_price_twd=price,
                amount_twd=quantity * price,
            )
        )

    for entry in _unsettled_entries().filter(kind="redeemed", dealer=dealer, created_at__lt=end):
        funding = _funding(entry)
        if funding in funded:
            line(Kind.REDEMPTION, entry, funding, 1, entry.voucher.definition.settlement_price_twd)

    reversals = list(_unsettled_entries().filter(kind="reversed", created_at__lt=end))
    reversed_ids = {int(r.data["reverses"]) for r in reversals if str(r.data.get("reverses", "")).isdigit()}
    redeemed_dealer = dict(LedgerEntry.objects.filter(pk__in=reversed_ids).values_list("pk", "dealer_id"))
    settled_price = dict(
        SettlementLine.objects.filter(ledger_entry_id__in=reversed_ids).values_list(
            "ledger_entry_id", "unit_price_twd"
        )
    )
    for entry in reversals:
        redeemed = int(entry.data.get("reverses", 0) or 0)
        # A reversal is charged to the dealer whose redemption it takes back, at the price it was paid.
        if redeemed_dealer.get(redeemed) != dealer.pk:
            continue
        funding = _funding(entry)
        if funding in funded:
            price = settled_price.get(redeemed, entry.voucher.definition.settlement_price_twd)
            line(Kind.REVERSAL, entry, funding, -1, price)

    orders = Order.objects.filter(
        channel=Order.Channel.COUNTER,
        dealer=dealer,
        paid_at__isnull=False,
        paid_at__lt=end,
        amount_twd__gt=0,
    ).filter(~Exists(SettlementLine.objects.filter(order=OuterRef("pk"), kind=Kind.COUNTER_SALE)))
    for order in orders:
        lines.append(
            SettlementLine(
                kind=Kind.COUNTER_SALE,
                source_key=f"order:{order.pk}",
                order=order,
                definition_id=order.definition_id,
                funding=SettlementLine.Funding.SOLD_AT_COUNTER,
                occurred_at=order.paid_at,
                adjustment=order.paid_at < start,
                quantity=1,
                unit_price_twd=order.amount_twd,
                amount_twd=-order.amount_twd,
            )
        )
    lines.sort(key=lambda x: (x.occurred_at, x.source_key))
    return lines


def balance(lines) -> tuple[int, int]:
    """(owed to the dealer for uses, owed by the dealer for counter sales), in NT$."""
    to_dealer = sum(x.amount_twd for x in lines if x.kind != Kind.COUNTER_SALE)
    by_dealer = -sum(x.amount_twd for x in lines if x.kind == Kind.COUNTER_SALE)
    return to_dealer, by_dealer
