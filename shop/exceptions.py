from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class NotOnSale(DomainError):
    code = "not_on_sale"
    title = _("Not on sale")
    default_message = _("This item is not on sale here.")
    http_status = 404


class QuantityOutOfRange(DomainError):
    code = "quantity_out_of_range"
    title = _("Quantity out of range")
    default_message = _("Choose a quantity from 1 to %(maximum)s.")
    http_status = 400


class VehicleNotEligible(DomainError):
    code = "vehicle_not_eligible"
    title = _("Not for this vehicle")
    default_message = _(
        "This item cannot be bought for that car: it is not yours, or its model does not fit."
    )
    http_status = 400


class OutOfStock(DomainError):
    code = "out_of_stock"
    title = _("Out of stock")
    default_message = _("Not enough left in stock: %(left)s available.")
    http_status = 409


class PaymentNotConfigured(DomainError):
    code = "payment_not_configured"
    title = _("Payment not available")
    default_message = _("Online payment is not available right now. Please try again later.")
    http_status = 503


class PaymentRejected(DomainError):
    """A payment notification or query answer that must change nothing (forged, tampered, foreign)."""

    code = "payment_rejected"
    title = _("Payment message rejected")
    default_message = _("The payment message was rejected: %(reason)s")
    http_status = 400


class OrderNotPayable(DomainError):
    code = "order_not_payable"
    title = _("Order can no longer be paid")
    default_message = _("This order can no longer be paid.")
    http_status = 409
