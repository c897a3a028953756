"""Domain events the shop announces to higher apps (sent inside the service's transaction)."""

from django.dispatch import Signal

# order (vouchers.Order, now paid), now
order_paid = Signal()
# order, refund (shop.OrderRefund, just approved), now
order_refunded = Signal()
