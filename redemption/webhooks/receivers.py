"""Domain events that partners hear about (connected in RedemptionConfig.ready)."""

from django.dispatch import receiver

from redemption import signals as redemption_signals
from redemption.models import Redemption
from redemption.partner_models import WebhookEvent
from vouchers import signals as voucher_signals
from vouchers.models import Voucher

from .events import webhook_events_for_redemption, webhook_events_for_vouchers


@receiver(voucher_signals.voucher_issued, sender=Voucher, dispatch_uid="redemption.webhooks.issued")
def on_vouchers_issued(sender, *, voucher_ids, **kwargs):
    webhook_events_for_vouchers(event=WebhookEvent.VOUCHER_ISSUED, voucher_ids=list(voucher_ids))


@receiver(voucher_signals.vouchers_expired, sender=Voucher, dispatch_uid="redemption.webhooks.expired")
def on_vouchers_expired(sender, *, voucher_ids, **kwargs):
    webhook_events_for_vouchers(event=WebhookEvent.VOUCHER_EXPIRED, voucher_ids=list(voucher_ids))


@receiver(redemption_signals.voucher_redeemed, sender=Redemption, dispatch_uid="redemption.webhooks.redeemed")
def on_voucher_redeemed(sender, *, redemption, webhook_endpoints_exist: bool = True, **kwargs):
    # The redemption read with its lock whether any endpoint exists; none: nothing to look up.
    if not webhook_endpoints_exist:
        return
    webhook_events_for_redemption(event=WebhookEvent.VOUCHER_REDEEMED, redemption=redemption)


@receiver(
    redemption_signals.redemption_reversed, sender=Redemption, dispatch_uid="redemption.webhooks.reversed"
)
def on_redemption_reversed(sender, *, redemption, **kwargs):
    webhook_events_for_redemption(event=WebhookEvent.VOUCHER_REVERSED, redemption=redemption)
