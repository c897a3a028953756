"""What one ledger entry does to the money of a paid voucher: the one rule the facts, the reports
and the tests share.

A voucher paid `amount` for `uses` uses holds `uses_value(amount, uses, left)` of deferred revenue
while it is open (not yet used up, expired, voided or refunded): its amount split over its uses with
`vouchers.money.amount_split`, the uses still left holding the larger parts, so each use recognises
`amount // uses` and the last one the remainder. An entry moves that value between the columns of
the roll-forward: sales (issued), used (redeemed, or given back by a reversal), released by a
refund (of which `refunded` is paid back, the rest kept as revenue), and written off (expired,
voided; negative when an extension reopens an expired voucher). The columns add up to the change
of open value exactly, by construction.
"""

from dataclasses import dataclass

OPEN_STATUSES = frozenset({"inactive", "active", "held", "locked"})


def uses_value(amount: int, uses: int, left: int) -> int:
    """The part of `amount` allocated to the `left` uses still left, in whole NT$.

    Equal to `sum(amount_split(amount, [1] * uses)[:left])`, in O(1): the parts are
    `amount // uses`, the first `amount % uses` of them one dollar more."""
    if uses <= 0 or left <= 0:
        return 0
    left = min(left, uses)
    return left * (amount // uses) + min(left, amount % uses)


@dataclass(frozen=True)
class EntryMoney:
    sales: int = 0
    used: int = 0
    uses: int = 0
    released: int = 0
    refunded: int = 0
    written_off: int = 0
    open_uses: int = 0

    @property
    def open_change(self) -> int:
        return self.sales - self.used - self.released - self.written_off


def entry_money(
    *,
    kind: str,
    amount: int,
    uses_total: int,
    uses_left_after: int,
    delta: int,
    status_before: str,
    status_after: str,
    refund_amount: int = 0,
) -> EntryMoney:
    """The money figures of one ledger entry of a voucher paid `amount` for `uses_total` uses."""
    if amount <= 0:
        return EntryMoney()
    left_before = uses_left_after - delta
    open_before = status_before in OPEN_STATUSES
    open_after = status_after in OPEN_STATUSES
    value_before = uses_value(amount, uses_total, left_before) if open_before else 0
    value_after = uses_value(amount, uses_total, uses_left_after) if open_after else 0
    change = value_after - value_before
    open_uses = (uses_left_after if open_after else 0) - (left_before if open_before else 0)
    sales = used = uses = released = refunded = 0
    if kind == "issued":
        sales = change
    elif kind in ("redeemed", "reversed") and delta:
        # The use's value whatever the status: a use given back to an expired voucher is written off.
        used = uses_value(amount, uses_total, left_before) - uses_value(amount, uses_total, uses_left_after)
        uses = -delta
    elif kind == "refund_approved":
        released = -change
        refunded = refund_amount
    written_off = -change + sales - used - released
    return EntryMoney(
        sales=sales,
        used=used,
        uses=uses,
        released=released,
        refunded=refunded,
        written_off=written_off,
        open_uses=open_uses,
    )
