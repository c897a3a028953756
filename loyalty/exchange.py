"""Why an exchange may not be made now: one pure assessment for the claim centre and the service."""

from .exceptions import ExchangeLimitReached, InsufficientPoints, OfferClosed
from .models import ExchangeOffer


def exchange_refusals(offer: ExchangeOffer, *, balance: int, used: int) -> list:
    """Every reason (a DomainError, not raised) the member cannot exchange; empty when they can.
    Stock and the definition's own rules are checked by the vouchers app when it issues."""
    reasons = []
    if not offer.active:
        reasons.append(OfferClosed())
    if offer.per_member_limit is not None and used >= offer.per_member_limit:
        reasons.append(ExchangeLimitReached())
    if balance < offer.points_price:
        reasons.append(InsufficientPoints(balance=balance, needed=offer.points_price))
    return reasons
