"""Signing in with LINE in headless Chromium, against the local LINE stand-in: the first time links
the LINE account through the code by SMS, the next time LINE signs in directly; then unlink."""

import pytest

from members.models import Member
from portal.line_login.fake import FAKE_USERS
from tests.browser_checks import assert_accessible

from .conftest import latest_code
from .test_browser import _check_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "+886912000001"


def test_owner_links_line_once_then_signs_in_with_line_and_unlinks_it(page, screenshot):
    owner = Member.objects.create(phone=PHONE, name="王小明")
    base = page.base_url
    page.set_viewport_size({"width": 360, "height": 740})

    page.goto(base + "/portal/sign-in/")
    button = page.locator("[data-test=line-sign-in]")
    assert button.inner_text().strip() == "使用 LINE 登入"
    _check_page(page)  # labelled, AA contrast (the green button too), no sideways scroll, axe-core
    screenshot(page, "sign-in-with-line")
    button.click()

    page.wait_for_url("**/portal/fake-line/authorize/**")
    assert_accessible(page)
    page.click("[data-test=fake-line-allow]")

    page.wait_for_url("**/portal/sign-in/")
    assert FAKE_USERS[0][1] in page.locator("[data-test=line-pending]").inner_text()
    assert page.is_checked("#id_link_line")
    _check_page(page)
    screenshot(page, "line-pending")
    page.fill("#id_phone", "0912-000-001")
    page.click("[data-test=send-code]")
    page.wait_for_url("**/portal/sign-in/code/")
    page.fill("#id_code", latest_code(PHONE))
    page.click("[data-test=verify-code]")
    page.wait_for_url(base + "/portal/")
    owner.refresh_from_db()
    assert owner.line_user_id == FAKE_USERS[0][0]

    page.click("[data-test=sign-out]")
    page.wait_for_url("**/portal/sign-in/")
    page.click("[data-test=line-sign-in]")
    page.wait_for_url("**/portal/fake-line/authorize/**")
    page.click("[data-test=fake-line-allow]")
    page.wait_for_url(base + "/portal/")  # straight in, no code this time

    page.goto(base + "/portal/preferences/")
    _check_page(page)
    page.click("[data-test=line-unlink]")
    page.wait_for_url("**/portal/preferences/")
    assert page.locator("[data-test=line-link]").is_visible()
    owner.refresh_from_db()
    assert owner.line_user_id == ""
