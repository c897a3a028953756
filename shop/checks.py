"""Start-up checks: the ECPay stand-in never runs with DEBUG off, and a real mode has its keys."""

from django.conf import settings
from django.core.checks import Error, Warning, register


@register()
def ecpay_mode(app_configs=None, **kwargs):
    mode = settings.ECPAY_MODE
    if mode not in ("fake", "stage", "production"):
        return [Error(f"ECPAY_MODE must be fake, stage or production, not {mode!r}.", id="shop.E001")]
    if mode == "fake" and not settings.DEBUG:
        return [
            Error(
                "ECPAY_MODE=fake with DEBUG off: the local ECPay stand-in is for development only.",
                hint="Set ECPAY_MODE=stage or production with the merchant's ECPAY_* keys.",
                id="shop.E002",
            )
        ]
    if mode != "fake" and not (
        settings.ECPAY_MERCHANT_ID and settings.ECPAY_HASH_KEY and settings.ECPAY_HASH_IV
    ):
        return [
            Warning(
                "ECPay is not configured: the shop cannot take online payments.",
                hint="Set ECPAY_MERCHANT_ID, ECPAY_HASH_KEY and ECPAY_HASH_IV.",
                id="shop.W001",
            )
        ]
    return []


@register()
def ecpay_invoice_mode(app_configs=None, **kwargs):
    """The e-invoice stand-in issues invoices nobody reports to the tax office: development only."""
    mode = settings.ECPAY_INVOICE_MODE
    if mode not in ("fake", "stage", "production"):
        return [Error(f"ECPAY_INVOICE_MODE must be fake, stage or production, not {mode!r}.", id="shop.E003")]
    if mode == "fake" and not settings.DEBUG:
        return [
            Error(
                "ECPAY_INVOICE_MODE=fake with DEBUG off: the e-invoice stand-in is for development only.",
                hint="Set ECPAY_INVOICE_MODE=stage or production with the ECPAY_INVOICE_* keys.",
                id="shop.E004",
            )
        ]
    return []
