"""The owner's main journey in headless Chromium, with screenshots of the main pages as artefacts;
then every main page at 360 x 740: no sideways scrolling, every control labelled, text contrast AA."""

import pytest

from campaigns.models import Notification
from members.models import ConsentChange, Member
from tests.browser_checks import assert_accessible
from tests.factories import DefinitionFactory, OwnedVehicleFactory, VehicleModelFactory, issue_voucher
from vouchers.models import Voucher, VoucherDefinition

from .conftest import latest_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "+886912000001"

UNLABELLED = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button'))
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
  .map(el => el.outerHTML)"""

# WCAG 2 contrast of each visible text against its (alpha-blended) background; text over an image
# is skipped (it has a shadow), as are greyed-out used/expired cards (inactive, exempt).
LOW_CONTRAST = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = v => { v /= 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const blend = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a), b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const background = el => { const layers = [];
    for (let n = el; n; n = n.parentElement) { const s = getComputedStyle(n);
      if (s.backgroundImage !== 'none') return null;
      const c = parse(s.backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let bg = {r: 255, g: 255, b: 255, a: 1};
    for (const layer of layers.reverse()) bg = blend(layer, bg);
    return bg; };
  const failures = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.is-muted, .visually-hidden, .skip-link, svg, script, style, option')) continue;
    const text = Array.from(el.childNodes).filter(n => n.nodeType === 3)
      .map(n => n.textContent).join('').trim();
    if (!text) continue;
    const box = el.getBoundingClientRect(); const s = getComputedStyle(el);
    if (!box.width || !box.height || s.visibility === 'hidden') continue;
    const bg = background(el); if (!bg) continue;
    const fg = blend(parse(s.color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    const size = parseFloat(s.fontSize), bold = parseInt(s.fontWeight, 10) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) failures.push(text.slice(0, 40) + ': ' + ratio.toFixed(2));
  }
  return failures; }"""


def _check_page(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(LOW_CONTRAST) == []
    assert_accessible(page)


def test_owner_signs_in_opens_a_voucher_claims_one_and_changes_a_consent(page, screenshot):
    owner = Member.objects.create(phone=PHONE, name="王小明")
    car = OwnedVehicleFactory(owner=owner, model=VehicleModelFactory(name="SUV X5"))
    wash = issue_voucher(
        DefinitionFactory(
            card_title="Premium wash",
            card_subtitle="×5",
            uses_per_voucher=5,
            usage_rules="One per visit.",
            channel_claim=False,
        ),
        vehicle=car,
    )
    issue_voucher(
        DefinitionFactory(card_title="Tyre check", card_colour="#E65100", channel_claim=False), vehicle=car
    )
    coating = issue_voucher(
        DefinitionFactory(card_title="Coating", refundable=True, face_value_twd=1500, channel_claim=False),
        vehicle=car,
    )
    spring = DefinitionFactory(
        code="spring-interior",
        card_title="Interior care",
        holder_type=VoucherDefinition.HolderType.MEMBER,
        channel_claim=True,
        stock_total=10,
        per_holder_limit=1,
        card_colour="#F4D35E",  # a light colour: the card must switch to dark text
    )
    base = page.base_url
    page.set_viewport_size({"width": 390, "height": 844})

    # Sign in with the one-time code the outbox holds (what the SMS carries).
    page.goto(base + "/portal/")
    assert "/portal/sign-in/" in page.url
    screenshot(page, "sign-in")
    assert_accessible(page)
    page.fill("#id_phone", "0912-000-001")
    page.click("[data-test=send-code]")
    page.wait_for_url("**/portal/sign-in/code/")
    assert_accessible(page)
    assert Notification.objects.filter(purpose=Notification.Purpose.LOGIN_CODE, recipient=PHONE).exists()
    page.fill("#id_code", latest_code(PHONE))
    page.click("[data-test=verify-code]")
    page.wait_for_url(base + "/portal/")
    screenshot(page, "my-vehicles")

    # A vehicle, then a voucher and its QR code.
    page.click(f"a[href='/portal/vehicles/{car.pk}/']")
    page.wait_for_url(f"**/portal/vehicles/{car.pk}/")
    assert page.locator(".voucher-card").count() == 3
    screenshot(page, "vehicle-wallet")
    page.click(f"a[href='/portal/vouchers/{wash.pk}/']")
    page.wait_for_url(f"**/portal/vouchers/{wash.pk}/")
    qr = page.locator(".qr svg")
    assert qr.is_visible()
    assert qr.bounding_box()["width"] >= 200  # large enough to scan across the counter
    assert page.locator("[data-test=voucher-code]").inner_text().replace("\n", "") == wash.code_display
    screenshot(page, "voucher-qr")

    # Claim one from the claim centre.
    page.click("a[href='/portal/claim/']")
    page.wait_for_url("**/portal/claim/")
    screenshot(page, "claim-centre")
    page.click("[data-definition=spring-interior] [data-test=claim]")
    page.wait_for_url("**/portal/vouchers/*/")
    claimed = Voucher.objects.get(definition=spring)
    assert claimed.member == owner
    assert page.url.endswith(f"/portal/vouchers/{claimed.pk}/")
    screenshot(page, "claimed")

    # Ask for a refund of a paid voucher.
    page.goto(f"{base}/portal/vouchers/{coating.pk}/")
    assert_accessible(page)
    page.click("[data-test=request-refund]")
    page.wait_for_selector("[data-test=refund-amount]")
    assert_accessible(page)
    page.fill("#id_reason", "Sold the car")
    page.click("[data-test=confirm-refund]")
    page.wait_for_selector("[data-test=refund-request]")
    screenshot(page, "refund-requested")
    assert_accessible(page)

    # Change a consent.
    page.click("a[href='/portal/preferences/']")
    page.wait_for_url("**/portal/preferences/")
    page.check("#id_consent_marketing")
    page.click("[data-test=save-preferences]")
    page.wait_for_selector("[data-test=consent-history] li")
    change = ConsentChange.objects.get(member=owner)
    assert (change.kind, change.new_value, change.source) == ("marketing", "True", "portal")
    screenshot(page, "preferences")

    # Every main page on a small phone.
    page.set_viewport_size({"width": 360, "height": 740})
    pages = {
        "my-vehicles": "/portal/",
        "vehicle-wallet": f"/portal/vehicles/{car.pk}/",
        "service-history": f"/portal/vehicles/{car.pk}/history/",
        "voucher-qr": f"/portal/vouchers/{wash.pk}/",
        "member-wallet": "/portal/wallet/",
        "claim-centre": "/portal/claim/",
        "preferences": "/portal/preferences/",
        "add-vehicle": "/portal/vehicles/bind/",
    }
    for name, path in pages.items():
        page.goto(base + path)
        _check_page(page)
        screenshot(page, f"{name}-360")
    page.click("[data-test=sign-out]")
    page.wait_for_url("**/portal/sign-in/")
    _check_page(page)
    screenshot(page, "sign-in-360")
