"""One voucher of a car in each state it cannot be used in, reached through the services (so the
ledger is right), with the English reason each must give: the counter page and the portal show
the same reasons, and their tests share these cases."""

from datetime import timedelta

from django.utils import timezone

from redemption.services import redemption_redeem, redemption_start
from vouchers.models import RefundRequest, VoucherDefinition
from vouchers.services import refund_approve, voucher_refund_request, voucher_void

from .vouchers import DefinitionFactory, issue_voucher

# state -> the reason's English label (held names the dealer holding it: see held_reason).
STATE_REASONS = {
    "inactive": "Not yet activated",
    "held": None,
    "locked": "Locked: a refund request or a review is pending",
    "used": "Used: no uses left",
    "expired": "Expired",
    "voided": "Voided",
    "refunded": "Refunded",
    "not_yet_valid": "Not yet valid",
}


def held_reason(dealer) -> str:
    return f"Held at {dealer.name} since"


def vouchers_in_every_state(*, vehicle, dealer, holding_dealer, member=None) -> dict:
    """`dealer` redeems the used one; `holding_dealer` holds the held one."""
    now = timezone.now()
    today = timezone.localdate()
    refundable = {"refundable": True, "kind": VoucherDefinition.Kind.PROMOTIONAL, "face_value_twd": 500}
    cases = {
        "inactive": issue_voucher(
            DefinitionFactory(name="Activate first", activation_mode=VoucherDefinition.ActivationMode.HOLDER),
            vehicle=vehicle,
        ),
        "held": issue_voucher(DefinitionFactory(name="Held there"), vehicle=vehicle),
        "locked": issue_voucher(DefinitionFactory(name="Refund asked", **refundable), vehicle=vehicle),
        "used": issue_voucher(DefinitionFactory(name="Used up"), vehicle=vehicle),
        "expired": issue_voucher(
            DefinitionFactory(name="Expired one"), vehicle=vehicle, now=now - timedelta(days=40)
        ),
        "voided": issue_voucher(DefinitionFactory(name="Voided one"), vehicle=vehicle),
        "refunded": issue_voucher(DefinitionFactory(name="Refunded one", **refundable), vehicle=vehicle),
        "not_yet_valid": issue_voucher(
            DefinitionFactory(
                name="Next month",
                validity_policy=VoucherDefinition.ValidityPolicy.FIXED,
                valid_from_date=today + timedelta(days=10),
                valid_until_date=today + timedelta(days=40),
            ),
            vehicle=vehicle,
        ),
    }
    redemption_start(voucher=cases["held"], vehicle=vehicle, dealer=holding_dealer, idempotency_key="h")
    voucher_refund_request(voucher=cases["locked"], member=member)
    redemption_redeem(voucher=cases["used"], vehicle=vehicle, dealer=dealer, idempotency_key="u")
    voucher_void(voucher=cases["voided"], reason="duplicate")
    voucher_refund_request(voucher=cases["refunded"], member=member)
    refund_approve(refund=RefundRequest.objects.get(voucher=cases["refunded"]), actor=None)
    return cases
