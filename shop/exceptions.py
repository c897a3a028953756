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


class InvoiceDetailsInvalid(DomainError):
    """What the buyer entered for the e-invoice breaks a rule; `field` names the form field."""

    code = "invoice_details_invalid"
    default_message = _("The invoice details are not valid.")
    http_status = 400

    def __init__(self, message=None, *, field: str, **params):
        super().__init__(message, **params)
        self.field = field


class InvoiceNotConfigured(DomainError):
    code = "invoice_not_configured"
    title = _("E-invoice not available")
    default_message = _("The e-invoice service is not configured.")
    http_status = 503


class InvoiceRejected(DomainError):
    """The e-invoice service refused or could not be reached; the order's invoice stays to be retried."""

    code = "invoice_rejected"
    title = _("E-invoice refused")
    default_message = _("The e-invoice service refused: %(reason)s")
    http_status = 502


class RefundRefused(DomainError):
    """An order refund that cannot be asked for or decided; the code says why."""

    code = "refund_refused"
    title = _("Refund refused")
    default_message = _("This order cannot be refunded.")
    http_status = 409


class RefundNotYours(RefundRefused):
    code = "refund_not_yours"
    title = _("Order not found")
    default_message = _("This order is not yours.")
    http_status = 404


class RefundNotPaid(RefundRefused):
    code = "refund_not_paid"
    title = _("Order not paid")
    default_message = _("Only a paid order whose vouchers were issued can be refunded.")


class RefundAlreadyRefunded(RefundRefused):
    code = "refund_already_refunded"
    title = _("Already refunded")
    default_message = _("This order has been refunded already.")


class RefundNothingLeft(RefundRefused):
    code = "refund_nothing_left"
    title = _("Nothing left to refund")
    default_message = _(
        "Nothing is left to refund on this order: its vouchers are used, expired or refunded."
    )


class RefundPending(RefundRefused):
    code = "refund_pending"
    title = _("Refund already requested")
    default_message = _("A refund of this order is already waiting for Finance.")


class RefundDecided(RefundRefused):
    code = "refund_decided"
    title = _("Refund already decided")
    default_message = _("This refund has been decided already.")


class RefundReferenceNeeded(RefundRefused):
    code = "refund_reference_needed"
    default_message = _(
        "This order was not paid by credit card through ECPay: enter the bank transfer's reference."
    )
    http_status = 400
