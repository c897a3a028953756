from django.utils.translation import gettext_lazy as _

from config.errors import DomainError


class CodeMalformed(DomainError):
    code = "code_malformed"
    default_message = _(
        "This is not a voucher code. A code has 16 letters and digits, e.g. K7QF-9M2D-XR4T-8ZB3."
    )
    http_status = 400


class CodeMistyped(DomainError):
    code = "code_mistyped"
    default_message = _(
        "This code looks mistyped: its check character does not match. Please check each character."
    )
    http_status = 400


class VoucherNotFound(DomainError):
    code = "voucher_not_found"
    title = _("Voucher not found")
    default_message = _("No voucher has this code.")
    http_status = 404


class DefinitionNotFound(DomainError):
    code = "definition_not_found"
    title = _("Voucher definition not found")
    default_message = _("No voucher definition has this code.")
    http_status = 404


class VoucherNotUsable(DomainError):
    """Raised with every reason the voucher cannot be used; `code` is the most telling one."""

    def __init__(self, reasons):
        self.reasons = list(reasons)
        first = self.reasons[0]
        super().__init__(first.label, code=first.value)

    @property
    def messages(self) -> list[str]:
        return [str(r.label) for r in self.reasons]


class InvalidTransition(DomainError):
    code = "invalid_transition"
    title = _("Action not possible in this state")
    default_message = _("This voucher is %(status)s; that action is not possible now.")


class DefinitionNotIssuable(DomainError):
    code = "definition_not_issuable"
    title = _("Voucher definition not open for issuing")
    default_message = _("This voucher definition is not published, or not open to this channel.")


class HolderMissing(DomainError):
    code = "holder_missing"
    default_message = _("This voucher type needs a %(holder)s as holder.")
    http_status = 400


class StockExhausted(DomainError):
    code = "stock_exhausted"
    title = _("No stock left")
    default_message = _("No stock is left for this voucher.")


class HolderLimitReached(DomainError):
    code = "holder_limit_reached"
    title = _("Limit per holder reached")
    default_message = _("The limit of this voucher per holder has been reached.")


class ActivationNotAllowed(DomainError):
    code = "activation_not_allowed"
    title = _("Activation not allowed")
    default_message = _("This voucher cannot be activated this way.")


class IdentityNotVerified(DomainError):
    code = "identity_not_verified"
    title = _("Identity not verified")
    default_message = _(
        "Activating this voucher needs a verified identity. Please verify your identity first."
    )


class RefundNotAllowed(DomainError):
    code = "refund_not_allowed"
    title = _("Refund not allowed")
    default_message = _("This voucher cannot be refunded.")


class ReasonRequired(DomainError):
    code = "reason_required"
    default_message = _("Please give a reason.")
    http_status = 400


class PublishRefused(DomainError):
    code = "publish_refused"
    title = _("Definition cannot be published")
    default_message = _("This definition cannot be published.")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    title = _("Idempotency key reused")
    default_message = _("This idempotency key was already used for a different request.")
    http_status = 422


class InvalidQuantity(DomainError):
    code = "invalid_quantity"
    default_message = _("Quantity must be between 1 and %(maximum)s.")
    http_status = 400


class ClaimRefused(DomainError):
    code = "claim_refused"
    title = _("Claim refused")
    default_message = _("This voucher cannot be claimed.")


class AlreadyReversed(DomainError):
    code = "already_reversed"
    title = _("Redemption already reversed")
    default_message = _("This redemption has already been reversed.")


class InvalidValidity(DomainError):
    code = "invalid_validity"
    default_message = _("The new end of validity must be later than the current one and in the future.")
    http_status = 400


class DefinitionFieldsLocked(DomainError):
    code = "definition_fields_locked"
    title = _("Definition fields locked")
    default_message = _(
        "Vouchers have already been issued from this definition, so these fields can no longer change: "
        "%(fields)s."
    )
    http_status = 409


class OrderNotIssuable(DomainError):
    code = "order_not_issuable"
    title = _("Order issues no vouchers")
    default_message = _("This order was cancelled, expired or refunded: it issues no vouchers.")
    http_status = 409


class RefundDecidedWithOrder(DomainError):
    code = "refund_decided_with_order"
    title = _("Decided with its order's refund")
    default_message = _(
        "This voucher's refund is part of its order's refund: Finance decides it with the order."
    )


class NotFirstOwner(HolderMissing):
    code = "not_first_owner"
    title = _("First-owner benefit")
    default_message = _("This is a first-owner benefit: only the car's first owner can hold it.")
    http_status = 409


class NotPastOwner(HolderMissing):
    code = "not_past_owner"
    title = _("Repurchase benefit")
    default_message = _(
        "This is a repurchase benefit: only members who have owned one of our cars can hold it."
    )
    http_status = 409
