"""Views of the counter terminal (thin: parse input, call a selector or a service, render)."""

from .alerts import alert_close_view
from .auth import CounterLoginView, CounterLogoutView
from .health import health
from .holds import hold_cancel, hold_complete
from .receipt import receipt
from .reverse import redemption_reverse_view
from .sale import sale, sale_receipt
from .search import home, search
from .today import today
from .vehicle import vehicle_detail, voucher_use

__all__ = [
    "CounterLoginView",
    "CounterLogoutView",
    "alert_close_view",
    "health",
    "hold_cancel",
    "hold_complete",
    "home",
    "receipt",
    "redemption_reverse_view",
    "sale",
    "sale_receipt",
    "search",
    "today",
    "vehicle_detail",
    "voucher_use",
]
