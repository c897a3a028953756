"""The owner's points journey in headless Chromium: points page (balance, tier progress, points about
to expire), an exchange in the claim centre, its cancellation; accessible at 360 px wide."""

from datetime import timedelta

import pytest
from django.utils import timezone

from loyalty.dates import add_months
from loyalty.models import EarnRule, Exchange, ExchangeOffer, PointsAccount, PointsEntry, Programme, TierLevel
from loyalty.services import points_credit, tier_evaluate
from members.actors import Actor
from members.models import Member
from tests.browser_checks import assert_accessible
from tests.factories import DefinitionFactory
from tests.portal.conftest import latest_code
from tests.portal.test_browser import _check_page
from vouchers.models import Order, Voucher, VoucherDefinition

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = "+886912000013"
SYSTEM = Actor.system("test")


def test_owner_sees_points_exchanges_some_and_cancels_the_exchange(page, screenshot):
    Programme.objects.update_or_create(pk=1, defaults={"expiry_months": 24, "tier_measure": "spend"})
    for rank, name, spend in [(1, "Classic", 0), (2, "Silver", 10_000), (3, "Gold", 30_000)]:
        TierLevel.objects.update_or_create(
            rank=rank, defaults={"name": name, "spend_twd": spend, "visits": 0}
        )
    EarnRule.objects.create(name="spend", kind=EarnRule.Kind.SPEND, points=1, per_twd=100)
    owner = Member.objects.create(phone=PHONE, name="王小明")
    now = timezone.now()
    Order.objects.create(member=owner, amount_twd=26_800, status=Order.Status.ISSUED, paid_at=now)
    tier_evaluate(member=owner, now=now)
    earned = add_months(timezone.localtime(now), -24) + timedelta(days=20)
    points_credit(member=owner, kind=PointsEntry.Kind.BONUS, points=400, key="old", actor=SYSTEM, now=earned)
    points_credit(member=owner, kind=PointsEntry.Kind.PURCHASE, points=268, key="order", actor=SYSTEM)
    wash = DefinitionFactory(
        code="points-wash", card_title="Points wash", holder_type=VoucherDefinition.HolderType.MEMBER
    )
    ExchangeOffer.objects.create(definition=wash, points_price=500, per_member_limit=1)
    base = page.base_url
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(base + "/portal/sign-in/")
    page.fill("#id_phone", "0912-000-013")
    page.click("[data-test=send-code]")
    page.wait_for_url("**/portal/sign-in/code/")
    page.fill("#id_code", latest_code(PHONE))
    page.click("[data-test=verify-code]")
    page.wait_for_url(base + "/portal/")

    page.click("a[href='/portal/points/']")
    page.wait_for_url("**/portal/points/")
    assert page.locator("[data-test=balance]").inner_text() == "668"
    assert page.locator("[data-test=tier]").inner_text() == "Silver"
    assert "NT$3,200" in page.locator("[data-test=progress]").inner_text()
    assert "400" in page.locator("[data-test=expiring]").inner_text()
    screenshot(page, "points")
    assert_accessible(page)

    page.click("a[href='/portal/claim/']")
    page.wait_for_url("**/portal/claim/")
    page.click("[data-definition=points-wash] [data-test=exchange-button]")
    page.wait_for_url("**/portal/vouchers/*/")
    made = Exchange.objects.get()
    assert Voucher.objects.get(pk=made.voucher_id).member == owner
    assert PointsAccount.objects.get(member=owner).balance == 168
    screenshot(page, "exchanged")

    page.goto(base + "/portal/claim/")
    assert page.locator("[data-definition=points-wash] [data-test=exchange-button]").count() == 0
    page.goto(base + "/portal/points/")
    page.click("[data-test=exchange-cancel]")
    page.wait_for_url("**/portal/points/")
    assert page.locator("[data-test=balance]").inner_text() == "668"
    made.refresh_from_db()
    assert made.status == Exchange.Status.CANCELLED

    page.set_viewport_size({"width": 360, "height": 740})
    for name, path in {"points": "/portal/points/", "claim-centre": "/portal/claim/"}.items():
        page.goto(base + path)
        _check_page(page)
        screenshot(page, f"{name}-360")
