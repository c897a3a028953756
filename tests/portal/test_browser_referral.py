"""The referral journey in headless Chromium: an owner opens the referral page (code, link, QR code);
a friend opens the link, signs up (the code comes along), binds their car; both are rewarded and the
owner sees the friend's status and the points earned. Every page accessible at 360 px wide."""

import pytest
from django.utils.module_loading import import_string

from loyalty.models import PointsAccount, Programme, Referral
from members.models import Member
from tests.browser_checks import assert_accessible
from tests.factories import VehicleFactory

from .conftest import latest_code
from .test_browser import _check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OWNER, FRIEND = "+886912000021", "+886912000022"


def _sign_in(page, phone: str, typed: str):
    page.fill("#id_phone", typed)
    page.click("[data-test=send-code]")
    page.wait_for_url("**/portal/sign-in/code/")
    page.fill("#id_code", latest_code(phone))
    page.click("[data-test=verify-code]")
    page.wait_for_url(page.base_url + "/portal/")


def test_owner_refers_a_friend_who_signs_up_binds_a_car_and_both_are_rewarded(page, screenshot, monkeypatch):
    # The worker's part: loyalty's tasks run in-process when the binding commits.
    monkeypatch.setattr("loyalty.receivers.async_task", lambda func, *args: import_string(func)(*args))
    Programme.objects.update_or_create(
        pk=1, defaults={"referrer_points": 200, "friend_points": 100, "referral_monthly_cap": 5}
    )
    owner = Member.objects.create(phone=OWNER, name="王小明")
    car = VehicleFactory(registered_owner_phone=FRIEND)
    base = page.base_url
    page.set_viewport_size({"width": 390, "height": 844})

    # The owner finds their code, link and QR code.
    page.goto(base + "/portal/sign-in/")
    _sign_in(page, OWNER, "0912-000-021")
    page.click("a[href='/portal/referral/']")
    page.wait_for_url("**/portal/referral/")
    code = page.locator("[data-test=referral-code]").inner_text()
    link = page.locator("[data-test=referral-link]").input_value()
    assert link.endswith(f"/portal/r/{code}/")
    assert page.locator(".qr svg").count() == 1
    assert "200" in page.locator("[data-test=referral-rewards-offered]").inner_text()
    screenshot(page, "referral")
    assert_accessible(page)
    page.click("[data-test=sign-out]")
    page.wait_for_url("**/portal/sign-in/")

    # The friend opens the link, signs up with the code carried along, binds their car.
    page.goto(link)
    page.wait_for_url("**/portal/sign-in/")
    assert page.locator("#id_referral_code").input_value() == code
    screenshot(page, "referral-sign-up")
    assert_accessible(page)
    _sign_in(page, FRIEND, "0912-000-022")
    friend = Member.objects.get(phone=FRIEND)
    assert Referral.objects.get(friend=friend).referrer == owner
    page.goto(base + "/portal/vehicles/bind/")
    page.fill("#id_vin", car.vin)
    page.fill("#id_plate", car.plate)
    page.click("[data-test=bind]")
    page.wait_for_url(f"**/portal/vehicles/{car.pk}/")
    page.goto(base + "/portal/points/")
    assert page.locator("[data-test=balance]").inner_text() == "100"
    page.click("[data-test=sign-out]")
    page.wait_for_url("**/portal/sign-in/")

    # The owner sees the friend rewarded and the points earned.
    _sign_in(page, OWNER, "0912-000-021")
    page.goto(base + "/portal/referral/")
    assert page.locator("[data-test=referral-row] [data-status=rewarded]").count() == 1
    assert "200" in page.locator("[data-test=referral-earned]").inner_text()
    assert PointsAccount.objects.get(member=owner).balance == 200

    page.set_viewport_size({"width": 360, "height": 740})
    page.reload()
    _check_page(page)
    screenshot(page, "referral-360")
