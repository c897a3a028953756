"""In headless Chromium, under the Content-Security-Policy: the back office (a list, a change page,
the wizard, bulk issue) and the API docs (Swagger UI, Redoc) work, and no page reports a violation
(the `page` fixture fails the test on any)."""

import pytest

from campaigns.models import Notification
from tests.factories import DefinitionFactory, OwnedVehicleFactory, issue_voucher
from tests.factories.staff import staff_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_back_office_and_api_docs_run_without_a_policy_violation(page, screenshot):
    staff_user("Operations", username="operator", superuser=True)
    voucher = issue_voucher(DefinitionFactory(card_colour="#F4D35E"), vehicle=OwnedVehicleFactory())
    definition = voucher.definition
    notification = Notification.objects.create(
        purpose=Notification.Purpose.LOGIN_CODE, recipient="+886912000009", body="第一行\n第二行"
    )
    base = page.base_url
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    page.goto(f"{base}/admin/vouchers/voucher/")
    page.wait_for_selector("#result_list")
    page.goto(f"{base}/admin/vouchers/voucherdefinition/{definition.pk}/change/")
    page.wait_for_selector("#redemptions-by-month svg.bar")
    # The card's colour comes from a nonce'd rule, not a style attribute.
    card = page.locator(".voucher-card__left").first
    assert card.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(244, 211, 94)"
    screenshot(page, "definition")
    page.goto(f"{base}/admin/campaigns/notification/{notification.pk}/change/")
    assert page.locator("pre.message-text").evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
    page.goto(f"{base}/admin/vouchers/voucherdefinition/add/")
    page.wait_for_selector("#wizard-form")
    page.goto(f"{base}/admin/vouchers/voucherdefinition/{definition.pk}/wizard/4/")
    page.wait_for_selector("#card-preview .voucher-card")
    page.goto(f"{base}/admin/vouchers/voucherdefinition/{definition.pk}/bulk/")
    page.wait_for_selector("input[name=whitelist]")

    page.goto(f"{base}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    screenshot(page, "swagger-ui")
    page.goto(f"{base}/api/docs/redoc/")
    page.wait_for_selector("#redoc-container h1")
    # Redoc's run-time styles applied (they carry the nonce): its menu is laid out beside the content.
    assert page.locator(".menu-content").evaluate("el => getComputedStyle(el).position") != "static"
    screenshot(page, "redoc")

    page.goto(f"{base}/portal/no-such-page/")
