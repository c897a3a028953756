"""The card's colour and image reach the page as a nonce'd CSS rule that page content cannot break out of."""

from dataclasses import replace

from django.template import Context, Template
from django.test import RequestFactory

from vouchers.presentation import Card
from vouchers.templatetags.voucher_cards import FALLBACK_COLOUR, card_style_class

CARD = Card(
    title="洗車",
    subtitle="",
    colour="#1F3A5F",
    image_url="",
    category="",
    uses="5",
    validity="",
    notice="",
    usage_rules="",
)


def render(card: Card, nonce: str = "abc123") -> str:
    request = RequestFactory().get("/")
    request.csp_nonce = nonce
    return Template("{% load voucher_cards %}{% card_style card %}").render(
        Context({"card": card, "request": request})
    )


def test_the_rule_carries_the_nonce_and_the_colour_for_the_cards_class():
    html = render(CARD)
    assert html == (
        f'<style nonce="abc123">.voucher-card__left.{card_style_class(CARD)}'
        "{background-color:#1F3A5F}</style>"
    )


def test_cards_of_another_colour_or_image_get_another_class():
    assert card_style_class(CARD) == card_style_class(replace(CARD, title="other"))
    assert card_style_class(CARD) != card_style_class(replace(CARD, colour="#000000"))
    assert card_style_class(CARD) != card_style_class(replace(CARD, image_url="/media/a.png"))


def test_a_colour_that_is_not_hex_is_replaced_not_written():
    html = render(replace(CARD, colour="red}body{display:none"))
    assert "display" not in html and FALLBACK_COLOUR in html


def test_an_image_url_cannot_close_the_string_the_rule_or_the_element():
    html = render(replace(CARD, image_url="/media/x\");}</style><script>alert(1)</script>'(.png"))
    rule = html.split(">", 1)[1].rsplit("</style>", 1)[0]
    assert "<" not in rule and '"' not in rule.split('url("', 1)[1].rsplit('")', 1)[0]
    assert "}" not in rule[:-1] and "</style>" not in rule
    assert 'url("/media/x\\22 \\29 \\3b \\7d \\3c /style\\3e ' in rule


def test_a_card_list_renders_exactly_what_one_include_per_card_renders():
    from django.utils import translation

    from vouchers.presentation import _STATE_BADGES, Status

    request = RequestFactory().get("/")
    request.csp_nonce = "n0nce"
    used = replace(CARD, right_badge=_STATE_BADGES[Status.USED], muted=True, tags=["Only 內湖", "A & B"])
    entries = [
        {"card": CARD, "href": "/my/vouchers/1/"},
        {"card": CARD, "href": "/my/vouchers/2/?a=1&b=<2>"},  # equal card, another (escaped) link
        {"card": replace(CARD), "href": ""},  # equal card without a link
        {"card": used, "href": "/my/vouchers/3/"},
        {"card": replace(used, uses="0 / 5"), "href": "/my/vouchers/4/"},
        {"card": CARD, "href": "/my/vouchers/5/"},
    ]
    each = Template(
        "{% for entry in entries %}<li>"
        '{% include "vouchers/card.html" with card=entry.card href=entry.href %}'
        "</li>{% endfor %}"
    )
    listed = Template("{% load voucher_cards %}{% voucher_card_items entries %}")
    with translation.override("zh-hant"):
        expected = each.render(Context({"entries": entries, "request": request}))
        got = listed.render(Context({"entries": entries, "request": request}))
    assert got == expected
    assert got.count("<li>") == 6 and "?a=1&amp;b=&lt;2&gt;" in got
