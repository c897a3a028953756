"""The buying journey in headless Chromium: shop → review → pay on the ECPay stand-in → the worker's
notification over real HTTP → the vouchers on the car."""

import pytest
from django.conf import settings
from django.test import Client

from members.models import Member
from shop.models import FakeGatewayTrade
from shop.tasks import fake_gateway_notify
from tests.factories import OwnedVehicleFactory, pack
from tests.portal.conftest import sign_in
from vouchers.models import Order, Voucher

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_buys_a_pack_pays_on_the_stand_in_and_finds_the_vouchers_on_the_car(page, screenshot, ecpay):
    owner = Member.objects.create(phone="+886912000077", name="林美玲")
    car = OwnedVehicleFactory(owner=owner)
    bundle = pack(name="洗車五次套票")
    base = page.base_url
    session = sign_in(Client(), owner).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(base + "/portal/shop/")
    screenshot(page, "catalogue")
    page.click(f"[data-code={bundle.code}] [data-test=choose]")
    page.fill("#id_quantity", "2")
    page.click("[data-test=review]")
    assert "4,000" in page.locator("[data-test=total]").inner_text()
    screenshot(page, "review")
    page.click("[data-test=confirm]")
    page.wait_for_url("**/pay/")
    page.click("[data-test=pay]")
    page.wait_for_selector("[data-test=fake-pay]")
    screenshot(page, "stand-in")
    page.click("[data-test=fake-pay]")
    order = Order.objects.get()
    page.wait_for_url(f"**/portal/orders/{order.number}/")
    assert page.locator("[data-test=order-status]").get_attribute("data-status") == "pending"

    # What the worker does: ECPay's servers post the notification (twice) to our ReturnURL.
    trade = FakeGatewayTrade.objects.get(merchant_trade_no=order.number)
    assert fake_gateway_notify(trade.pk) == "1|OK"
    assert fake_gateway_notify(trade.pk) == "1|OK"

    page.reload()
    assert page.locator("[data-test=order-status]").get_attribute("data-status") == "issued"
    assert page.locator("[data-test=order-vouchers] li").count() == 10
    screenshot(page, "order-issued")
    assert Voucher.objects.filter(vehicle=car, order=order).count() == 10
    page.goto(base + f"/portal/vehicles/{car.pk}/")
    assert page.locator(".voucher-card").count() >= 1
