"""The voucher card's operator-chosen colour and image, under the Content-Security-Policy.

A style="" attribute cannot carry a nonce, so each card gets a class named after its colour and
image and one nonce'd <style> rule for that class. The values are written for a CSS context
(inside <style>, HTML escaping does not apply): colours only as #rrggbb, the image URL as a CSS
string with every character outside a small safe set escaped.
"""

import hashlib
import re

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from vouchers.presentation import Card

register = template.Library()

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_URL_SAFE = re.compile(r"[A-Za-z0-9/._~%:-]")
FALLBACK_COLOUR = "#57606a"


def _css_string(value: str) -> str:
    return "".join(ch if _URL_SAFE.fullmatch(ch) else f"\\{ord(ch):x} " for ch in value)


def _declarations(card: Card) -> str:
    colour = card.colour if _COLOUR.fullmatch(card.colour or "") else FALLBACK_COLOUR
    declarations = f"background-color:{colour}"
    if card.image_url:
        declarations += f';background-image:url("{_css_string(card.image_url)}")'
    return declarations


@register.filter
def card_style_class(card: Card) -> str:
    """A class name that depends only on the card's colour and image (equal cards share it)."""
    return "card-style-" + hashlib.sha256(_declarations(card).encode()).hexdigest()[:12]


@register.simple_tag(takes_context=True)
def card_style(context, card: Card) -> str:
    request = context.get("request")
    nonce = getattr(request, "csp_nonce", "")
    return format_html(
        '<style nonce="{}">.voucher-card__left.{}{{{}}}</style>',
        nonce,
        card_style_class(card),
        # Not HTML-escaped (entities are not decoded inside <style>): only a checked colour and
        # CSS-escaped URL characters, so it can neither close the element nor the rule.
        mark_safe(_declarations(card)),  # noqa: S308
    )
