"""Domain events the vouchers app announces to higher apps, sent inside the service's transaction.

Receivers that do work which can fail must enqueue it with transaction.on_commit.
"""

from django.dispatch import Signal

# voucher_ids: list[int], source: str; vouchers: list[Voucher], or None from set-based issuance
# (bulk batches, campaign batches), which inserts its rows and builds no instances
voucher_issued = Signal()
# voucher: Voucher, entry: LedgerEntry
voucher_activated = Signal()
# voucher_ids: list[int], now
vouchers_expired = Signal()
# voucher: Voucher, entry: LedgerEntry
voucher_voided = Signal()
