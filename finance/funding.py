"""Who funds a voucher's uses, which decides what the brand owes the dealer who served them.

- complimentary: a free voucher of kind "complimentary" (with a car, a purchase, a claim);
- programme: a promotional voucher, or any free voucher issued by a campaign or an event;
- sold online: bought through the online shop, by phone or by a partner system: the brand has the money;
- sold at the counter: bought at a dealer's counter; that dealer collected the money and owes it
  to the brand (a counter-sale line on its statement), after which the brand funds its uses like
  any other sold voucher (setting FINANCE_SETTLE_COUNTER_SOLD_USES, on by default; off: the
  serving dealer is not paid for them);
- dealer's own: none of the above (not settled).
"""

from django.conf import settings

from vouchers.models import Order, Voucher, VoucherDefinition

from .models import SettlementLine

Funding = SettlementLine.Funding
Kind = VoucherDefinition.Kind
Source = Voucher.Source
SOLD_SOURCES = {Source.BUNDLE, Source.PURCHASE}
PROGRAMME_SOURCES = {Source.CAMPAIGN, Source.EVENT}


def funding_class(*, definition_kind: str, source: str, order_channel: str | None, amount_paid: int) -> str:
    if order_channel is not None and (source in SOLD_SOURCES or amount_paid > 0):
        return Funding.SOLD_AT_COUNTER if order_channel == Order.Channel.COUNTER else Funding.SOLD_ONLINE
    if definition_kind == Kind.PAID:
        # Sold without an order here (a partner system's own shop): the brand was paid.
        return Funding.SOLD_ONLINE
    if definition_kind == Kind.PROMOTIONAL or source in PROGRAMME_SOURCES:
        return Funding.PROGRAMME
    if definition_kind == Kind.COMPLIMENTARY:
        return Funding.COMPLIMENTARY
    return Funding.DEALER


def settled_classes() -> frozenset[str]:
    classes = {Funding.COMPLIMENTARY, Funding.PROGRAMME, Funding.SOLD_ONLINE}
    if getattr(settings, "FINANCE_SETTLE_COUNTER_SOLD_USES", True):
        classes.add(Funding.SOLD_AT_COUNTER)
    return frozenset(classes)
