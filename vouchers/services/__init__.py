"""Use cases of the vouchers app. Import from here; the modules are split by use case."""

from ._ledger import voucher_for_update, vouchers_for_update
from .definition_edit import definition_has_vouchers, definition_locked_fields, definition_save_step
from .definitions import (
    definition_publish,
    definition_publish_problems,
    definition_set_settlement_price,
    definition_set_status,
)
from .issuance import claim_refusals, order_issue, voucher_build, voucher_claim, voucher_issue
from .lifecycle import (
    voucher_activate,
    voucher_complete_hold,
    voucher_extend,
    voucher_hold,
    voucher_lock,
    voucher_redeem,
    voucher_redeem_locked,
    voucher_release_hold,
    voucher_reverse_use,
    voucher_unlock,
    voucher_void,
    vouchers_expire_batch,
    vouchers_expire_due,
)
from .refunds import (
    RefundQuote,
    refund_approve,
    refund_reject,
    voucher_refund_quote,
    voucher_refund_request,
    voucher_refund_request_in_order,
    voucher_refund_value,
)

__all__ = [
    "RefundQuote",
    "claim_refusals",
    "definition_has_vouchers",
    "definition_locked_fields",
    "definition_publish",
    "definition_publish_problems",
    "definition_save_step",
    "definition_set_settlement_price",
    "definition_set_status",
    "order_issue",
    "refund_approve",
    "refund_reject",
    "voucher_activate",
    "voucher_build",
    "voucher_claim",
    "voucher_complete_hold",
    "voucher_extend",
    "voucher_for_update",
    "voucher_hold",
    "voucher_issue",
    "voucher_lock",
    "voucher_redeem",
    "voucher_redeem_locked",
    "voucher_refund_quote",
    "voucher_refund_request",
    "voucher_refund_request_in_order",
    "voucher_refund_value",
    "voucher_release_hold",
    "voucher_reverse_use",
    "voucher_unlock",
    "voucher_void",
    "vouchers_expire_batch",
    "vouchers_expire_due",
    "vouchers_for_update",
]
