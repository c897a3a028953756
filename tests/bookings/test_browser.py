"""A booking in a real browser (headless chromium), both sides: the owner asks for a slot on a
phone, the advisor proposes another time at the counter, the owner accepts it. Every page is
checked with axe-core; selectors use ids and data attributes, not words."""

from datetime import timedelta
from importlib import import_module

import pytest
from django.conf import settings
from django.utils import timezone

from bookings.models import BookingRequest
from portal.auth import LAST_SEEN_KEY, MEMBER_KEY, SIGNED_IN_KEY
from tests.browser_checks import assert_accessible
from tests.factories import DealerFactory, DealerStaffFactory, MemberFactory, OwnedVehicleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pass-word-123"


def _owner_signed_in(page, member):
    """The session a successful sign-in code leaves (the code itself is tested in tests/portal)."""
    import time

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    now = int(time.time())
    store.update({MEMBER_KEY: member.pk, SIGNED_IN_KEY: now, LAST_SEEN_KEY: now})
    store.save()
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": page.base_url}]
    )


def _advisor_signed_in(page, user):
    page.context.clear_cookies()
    page.goto(page.base_url + "/counter/")
    page.locator('input[name="username"]').fill(user.username)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_selector('[data-testid="counter-home"]')


def test_owner_asks_advisor_proposes_owner_accepts(page, screenshot, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    dealer = DealerFactory(name="台北內湖服務廠")
    DealerFactory(name="高雄左營服務廠", city="高雄市")
    advisor = DealerStaffFactory(dealer=dealer, display_name="SA Lin").user
    owner = MemberFactory(name="王小明")
    car = OwnedVehicleFactory(owner=owner, selling_dealer=dealer)
    today = timezone.localdate()
    asked, proposed = today + timedelta(days=3), today + timedelta(days=4)
    base = page.base_url

    # The owner follows a reminder's link on a phone: the car and the service are filled in.
    page.set_viewport_size({"width": 360, "height": 740})
    _owner_signed_in(page, owner)
    page.goto(f"{base}/portal/bookings/new/?vehicle={car.pk}&service=maintenance")
    assert page.locator("#id_vehicle").input_value() == str(car.pk)
    assert page.locator("#id_service").input_value() == "maintenance"
    assert page.locator("#id_dealer").input_value() == str(dealer.pk)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"
    assert_accessible(page)
    page.fill("#id_day", asked.isoformat())
    page.check("#id_slot_0")
    page.fill("#id_note", "冷氣不冷")
    screenshot(page, "owner-request")
    page.click("[data-test=booking-submit]")
    page.wait_for_url("**/portal/bookings/")
    assert page.locator("[data-test=booking]").get_attribute("data-status") == "requested"
    assert_accessible(page)
    booking = BookingRequest.objects.get()
    assert (booking.requested_on, booking.requested_slot, booking.note) == (asked, "morning", "冷氣不冷")

    # The advisor sees it at the counter and proposes the next afternoon.
    page.set_viewport_size({"width": 1280, "height": 860})
    _advisor_signed_in(page, advisor)
    page.click("[data-testid=nav-bookings]")
    page.wait_for_selector("[data-testid=bookings-open]")
    assert page.locator("[data-testid=booking-row]").count() == 1
    assert_accessible(page)
    page.click("[data-testid=booking-open]")
    page.wait_for_selector("[data-testid=booking]")
    assert_accessible(page)
    screenshot(page, "counter-booking")
    page.fill("#id_day", proposed.isoformat())
    page.check("#id_slot_1")
    page.fill("#propose-note", "週四上午已滿")
    page.click("[data-testid=booking-propose]")
    page.wait_for_selector("[data-testid=bookings-open]")
    assert page.locator("[data-testid=booking-row]").get_attribute("data-status") == "proposed"

    # The owner accepts the proposal.
    page.set_viewport_size({"width": 360, "height": 740})
    _owner_signed_in(page, owner)
    page.goto(f"{base}/portal/bookings/")
    assert page.locator("[data-test=proposal]").is_visible()
    assert_accessible(page)
    screenshot(page, "owner-proposal")
    page.click("[data-test=booking-accept]")
    page.wait_for_url("**/portal/bookings/")
    page.wait_for_selector("[data-test=booking][data-status=confirmed]")
    booking.refresh_from_db()
    assert (booking.status, booking.offered_on, booking.offered_slot) == ("confirmed", proposed, "afternoon")
    assert list(booking.events.values_list("action", flat=True)) == ["requested", "proposed", "accepted"]
