"""The QR code an owner shows at the counter: inline SVG (segno), no image files, no image library."""

import segno
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from vouchers.codes import code_qr_payload
from vouchers.models import Voucher


def voucher_qr_svg(voucher: Voucher) -> SafeString:
    """The voucher's QR code as an SVG element that scales to its container (no fixed size)."""
    qr = segno.make(code_qr_payload(voucher.code), error="m", micro=False)
    # Quiet zone of 4 modules and an opaque white background: scanners need both, also in dark mode.
    svg = qr.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr__svg")
    label = _("QR code of voucher %(code)s") % {"code": voucher.code_display}
    return format_html('<div class="qr" role="img" aria-label="{}">{}</div>', label, mark_safe(svg))  # noqa: S308


def referral_qr_svg(url: str, code: str) -> SafeString:
    """The referral link as a QR code a friend scans with their phone's camera (SVG, scales)."""
    qr = segno.make(url, error="m", micro=False)
    svg = qr.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True, svgclass="qr__svg")
    label = _("QR code of your referral link, code %(code)s") % {"code": code}
    return format_html('<div class="qr" role="img" aria-label="{}">{}</div>', label, mark_safe(svg))  # noqa: S308
