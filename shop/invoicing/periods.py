"""Taiwan's invoice periods: two months each (Jan–Feb, Mar–Apr, …), reported together; an invoice can
be voided only within its own period, after that only an allowance (折讓) corrects it."""

from datetime import datetime
from zoneinfo import ZoneInfo

TAIPEI = ZoneInfo("Asia/Taipei")


def invoice_period(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(TAIPEI)
    return local.year, (local.month - 1) // 2


def invoice_voidable(*, issued_at: datetime, now: datetime, full_refund: bool) -> bool:
    """The rule we apply on a refund: void when the whole invoice is refunded (nothing was used) within
    the invoice's own period; otherwise issue an allowance for the refunded amount."""
    return full_refund and invoice_period(issued_at) == invoice_period(now)
