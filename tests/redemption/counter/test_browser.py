"""The counter in a real browser (headless Debian chromium): sign in, scan, redeem, receipt.

Selectors use ids and data-testid attributes, not words, so the tests hold in every language.
"""

import re

import pytest
from django.utils import timezone

from redemption.models import Redemption
from redemption.services import redemption_redeem, redemption_start
from tests.browser_checks import assert_accessible, assert_focused
from tests.factories import (
    DefinitionFactory,
    OwnedVehicleFactory,
    UserFactory,
    VehicleFactory,
    issue_voucher,
)
from tests.factories.staff import staff_user
from vouchers.codes import code_qr_payload

from .conftest import PASSWORD, grant_reversal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user):
    page.goto(page.base_url + "/counter/")
    assert "/counter/login/" in page.url
    username = page.locator('input[name="username"]')
    username.wait_for()
    assert_focused(page, "id_username")  # focused on load
    username.fill(user.username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_selector('[data-testid="counter-home"]')


def test_sign_in_scan_redeem_and_see_the_receipt(page, screenshot, advisor, dealer):
    car = OwnedVehicleFactory(plate="RAC-8888", plate_key="RAC8888")
    pack = issue_voucher(DefinitionFactory(name="Hand wash", uses_per_voucher=6), vehicle=car)
    issue_voucher(
        DefinitionFactory(name="Old one"), vehicle=car, now=timezone.now() - timezone.timedelta(days=45)
    )

    page.goto(page.base_url + "/counter/")
    screenshot(page, "login")
    assert_accessible(page)
    sign_in(page, advisor)
    screenshot(page, "home")
    assert_accessible(page)

    # The search box has the focus on load: a keyboard-wedge scanner types the QR payload and Enter.
    assert_focused(page, "counter-q")
    page.keyboard.type(code_qr_payload(pack.code))
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="vehicle"]')
    assert f"/counter/vehicles/{car.pk}/" in page.url
    assert page.locator('[data-testid="scanned"]').is_visible()
    # The scanned voucher's mileage field has the focus: type the mileage, Enter redeems.
    assert_focused(page, f"mileage-{pack.pk}")
    screenshot(page, "vehicle")
    assert_accessible(page)
    page.keyboard.type("12345")
    page.keyboard.press("Enter")

    page.wait_for_selector('[data-testid="receipt"]')
    redemption = Redemption.objects.get()
    assert page.locator('[data-testid="receipt-number"]').inner_text() == redemption.receipt_number
    assert page.locator('[data-testid="uses-left-after"]').inner_text().strip() == "5 / 6"
    assert redemption.mileage_km == 12345
    assert redemption.advisor == advisor
    screenshot(page, "receipt")
    assert_accessible(page)
    # Printed, only the slip remains; on a phone it still fits the screen.
    page.emulate_media(media="print")
    assert page.locator('[data-testid="counter-bar"]').is_hidden()
    assert page.locator('[data-testid="receipt"]').is_visible()
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "receipt-phone")
    page.set_viewport_size({"width": 1280, "height": 860})

    # Back to the old page and submit it again: the same receipt, nothing more consumed.
    page.go_back()
    page.wait_for_selector('[data-testid="vehicle"]')
    page.locator(f"#mileage-{pack.pk}").fill("12345")
    page.locator(f'form[action$="/vouchers/{pack.pk}/use/"] [data-testid="redeem"]').click()
    page.wait_for_selector('[data-testid="receipt"]')
    assert page.locator('[data-testid="receipt-number"]').inner_text() == redemption.receipt_number
    pack.refresh_from_db()
    assert pack.uses_left == 5
    assert Redemption.objects.count() == 1


def test_two_step_service_today_list_and_reversal(page, screenshot, advisor, dealer):
    manager = grant_reversal(advisor)
    car = OwnedVehicleFactory(plate="TWO-2222", plate_key="TWO2222")
    pack = issue_voucher(DefinitionFactory(name="Interior care", uses_per_voucher=3), vehicle=car)
    earlier = issue_voucher(DefinitionFactory(name="Tyre rotation"), vehicle=car)
    done = redemption_redeem(
        voucher=earlier, vehicle=car, dealer=dealer, advisor=manager, idempotency_key="x"
    )

    sign_in(page, manager)
    page.keyboard.type("two2222")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="vehicle"]')
    page.locator(f"#mileage-{pack.pk}").fill("40000")
    page.locator(f'form[action$="/vouchers/{pack.pk}/use/"] [data-testid="start"]').click()
    page.wait_for_selector('[data-testid="receipt"][data-status="held"]')
    screenshot(page, "held-receipt")
    assert_accessible(page)

    page.goto(page.base_url + "/counter/today/")
    page.wait_for_selector('[data-testid="today"]')
    assert page.locator('[data-testid="redemption-row"][data-status="held"]').count() == 1
    screenshot(page, "today")
    assert_accessible(page)

    hold = Redemption.objects.get(status=Redemption.Status.HELD)
    page.goto(page.base_url + f"/counter/redemptions/{hold.pk}/")
    assert_focused(page, "complete-mileage")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="receipt"][data-status="completed"]')
    pack.refresh_from_db()
    assert pack.uses_left == 2

    page.goto(page.base_url + f"/counter/redemptions/{done.pk}/reverse/")
    page.wait_for_selector('[data-testid="reverse"]')
    assert_focused(page, "id_reason")
    page.keyboard.type("Wrong voucher chosen")
    screenshot(page, "reverse")
    assert_accessible(page)
    page.locator('[data-testid="confirm-reverse"]').click()
    page.wait_for_selector('[data-testid="receipt"][data-status="reversed"]')
    earlier.refresh_from_db()
    assert earlier.uses_left == 1


def test_typing_anywhere_goes_to_the_search_box_and_several_matches_give_a_list(page, screenshot, advisor):
    for letters in ("KLM", "NPR"):
        VehicleFactory(plate=f"{letters}-4321", plate_key=f"{letters}4321")
    sign_in(page, advisor)
    page.locator("body").click(position={"x": 5, "y": 400})  # focus leaves the search box
    page.evaluate("document.activeElement.blur()")
    page.keyboard.type("4321")
    assert page.locator("#counter-q").input_value() == "4321"
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="search-results"][data-outcome="choose"]')
    assert page.locator(".choice").count() == 2
    screenshot(page, "search-choices")
    assert_accessible(page)
    # "/" brings the focus back to the search box from anywhere.
    page.locator(".choice").first.focus()
    page.keyboard.press("/")
    assert_focused(page, "counter-q")


def test_a_held_voucher_at_another_dealer_shows_where(page, screenshot, advisor, other_dealer):
    car = OwnedVehicleFactory(plate="HLD-1111", plate_key="HLD1111")
    voucher = issue_voucher(DefinitionFactory(name="Coating check"), vehicle=car)
    redemption_start(voucher=voucher, vehicle=car, dealer=other_dealer, idempotency_key="elsewhere")
    sign_in(page, advisor)
    page.goto(page.base_url + f"/counter/vehicles/{car.pk}/")
    reasons = page.locator(f'[data-voucher-id="{voucher.pk}"] [data-testid="reasons"]').inner_text()
    assert other_dealer.name in reasons
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", reasons)
    screenshot(page, "held-elsewhere")
    assert_accessible(page)


def test_refusal_and_empty_pages_are_accessible(page, screenshot, advisor, dealer):
    """The pages a journey rarely meets: no match, a tampered form, no right to reverse, not staff."""
    car = OwnedVehicleFactory(plate="REF-3333", plate_key="REF3333")
    pack = issue_voucher(DefinitionFactory(name="Brake check"), vehicle=car)
    done = redemption_redeem(voucher=pack, vehicle=car, dealer=dealer, advisor=advisor, idempotency_key="y")
    sign_in(page, advisor)
    page.keyboard.type("ZZZ9999")
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="search-results"]')
    assert_accessible(page)

    other = issue_voucher(DefinitionFactory(name="Oil change"), vehicle=car)
    page.goto(page.base_url + f"/counter/vehicles/{car.pk}/")
    form = page.locator(f'form[action$="/vouchers/{other.pk}/use/"]')
    form.locator("input[name=token]").evaluate("el => { el.value = 'tampered'; }")
    form.locator(f"#mileage-{other.pk}").fill("1000")
    form.locator('[data-testid="redeem"]').click()
    page.wait_for_load_state()
    assert "/use/" in page.url
    screenshot(page, "refused")
    assert_accessible(page)

    page.goto(page.base_url + f"/counter/redemptions/{done.pk}/reverse/")
    screenshot(page, "reverse-forbidden")
    assert_accessible(page)

    page.locator(".counter-bar__logout button").click()
    page.wait_for_url("**/counter/login/**")
    outsider = UserFactory(username="not-at-a-dealer")
    page.locator('input[name="username"]').fill(outsider.username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_selector(".message, .errorlist, [role=alert]")
    screenshot(page, "not-at-a-dealer")
    assert_accessible(page)

    # Signed in elsewhere (the back office) but at no dealer: the counter says so.
    staff_user("Operations", username="back-office")
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "back-office")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.goto(page.base_url + "/counter/")
    screenshot(page, "not-staff")
    assert_accessible(page)
