"""The voucher card's operator-chosen colour and image, under the Content-Security-Policy.

A style="" attribute cannot carry a nonce, so each card gets a class named after its colour and
image and one nonce'd <style> rule for that class. The values are written for a CSS context
(inside <style>, HTML escaping does not apply): colours only as #rrggbb, the image URL as a CSS
string with every character outside a small safe set escaped.
"""

import hashlib
import re
import secrets
from dataclasses import fields

from django import template
from django.utils.html import conditional_escape, format_html
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


_CARD_FIELDS = tuple(f.name for f in fields(Card))


def _card_key(card: Card, linked: bool) -> tuple:
    # Not dataclasses.astuple: it deep-copies every value (the badges' lazy translations too), which
    # cost more than rendering for a wallet of hundreds of equal cards.
    values = [getattr(card, name) for name in _CARD_FIELDS]
    return (*(tuple(value) if isinstance(value, list) else value for value in values), linked)


@register.simple_tag(takes_context=True)
def voucher_card_items(context, entries) -> str:
    """`<li>` + vouchers/card.html + `</li>` for each wallet entry ({card, href}), exactly as an
    `{% include %}` per entry renders it, but each distinct card only once: the vouchers of a
    pack or a bulk issue usually have equal cards, so a wallet of hundreds renders a few. The link
    is rendered as a random marker and put in afterwards, escaped the way the template escapes it.
    """
    template = context.template.engine.get_template("vouchers/card.html")
    marker = secrets.token_hex(16)
    rendered: dict[tuple, str] = {}
    # A CardMaker gives equal vouchers the same Card: its key is worked out once (the entries keep
    # every card alive meanwhile, so an id is never reused by another card here).
    keys: dict[tuple[int, bool], tuple] = {}
    parts = []
    for entry in entries:
        card, href = entry["card"], entry["href"]
        key = keys.get((id(card), bool(href)))
        if key is None:
            key = keys[(id(card), bool(href))] = _card_key(card, bool(href))
        html = rendered.get(key)
        if html is None:
            with context.push(card=card, href=marker if href else ""):
                html = rendered[key] = template.render(context)
        parts.append("<li>" + html.replace(marker, str(conditional_escape(href))) + "</li>")
    return mark_safe("".join(parts))  # noqa: S308 - each part rendered (and escaped) by the template
