"""Refunds on the pages: the owner's confirmation step and request, Finance's approval and rejection
in the back office (audited), and the refusals each page answers."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from members.actors import Actor
from shop.models import OrderRefund
from shop.services import order_payment_record, order_refund_request
from tests.factories import MemberFactory, OwnedVehicleFactory
from tests.factories.staff import staff_user, use_english
from tests.portal.conftest import english_client, sign_in
from vouchers.models import Order, Voucher

from .conftest import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(buyer):
    return sign_in(english_client(), buyer[0])


def _issued(member, vehicle):
    order = place_order(member, vehicle)
    return order_payment_record(
        order=order, method="cash", reference=f"C-{order.pk}", actor=Actor.system("test")
    )


def test_the_owner_confirms_the_amount_then_asks(owner_client, buyer, einvoice):
    order = _issued(*buyer)
    page = owner_client.get(reverse("portal:order", args=[order.number])).content.decode()
    assert 'data-test="refund-link"' in page

    url = reverse("portal:order_refund", args=[order.number])
    confirm = owner_client.get(url)
    assert confirm.status_code == 200 and "NT$2,000" in confirm.content.decode()
    assert not OrderRefund.objects.exists()  # the confirmation step changes nothing

    asked = owner_client.post(url, {"reason": "sold the car"})
    assert asked.status_code == 302
    refund = OrderRefund.objects.get()
    assert (refund.amount_twd, refund.reason) == (2000, "sold the car")
    page = owner_client.get(reverse("portal:order", args=[order.number])).content.decode()
    assert "Waiting for Finance" in page and 'data-test="refund-link"' not in page


def test_the_refund_page_explains_a_refusal(owner_client, buyer, einvoice):
    unpaid = place_order(*buyer)
    response = owner_client.get(reverse("portal:order_refund", args=[unpaid.number]), follow=True)
    assert "Only a paid order whose vouchers were issued can be refunded." in response.content.decode()
    response = owner_client.post(reverse("portal:order_refund", args=[unpaid.number]))
    assert response.status_code == 302 and not OrderRefund.objects.exists()


def test_another_owners_order_is_404(owner_client, einvoice):
    stranger = MemberFactory()
    order = _issued(stranger, OwnedVehicleFactory(owner=stranger))
    assert owner_client.get(reverse("portal:order_refund", args=[order.number])).status_code == 404
    assert owner_client.post(reverse("portal:order_refund", args=[order.number])).status_code == 404
    assert not OrderRefund.objects.exists()


@pytest.fixture
def finance(client, settings):
    use_english(settings)
    client.force_login(staff_user("Finance"))
    return client


def test_finance_approves_with_a_reason_and_a_transfer_reference(finance, buyer, einvoice):
    member, _ = buyer
    order = _issued(*buyer)
    refund = order_refund_request(order=order, member=member)
    page = finance.get(reverse("admin:shop_orderrefund_change", args=[refund.pk])).content.decode()
    assert "Approve the refund" in page and "Reject the refund" in page

    url = reverse("admin:shop_orderrefund_approve", args=[refund.pk])
    refused = finance.post(url, {"reason": "ok"})  # paid in cash: a transfer reference is needed
    assert refused.status_code == 200 and "enter the bank transfer" in refused.content.decode()
    done = finance.post(url, {"reason": "ok", "reference": "TR-123"})
    assert done.status_code == 302
    refund.refresh_from_db()
    assert (refund.status, refund.reference) == ("approved", "TR-123")
    assert Order.objects.get(pk=order.pk).status == "refunded"
    assert LogEntry.objects.filter(object_id=str(refund.pk), change_message__contains="TR-123").exists()
    order_page = finance.get(reverse("admin:vouchers_order_change", args=[order.pk])).content.decode()
    assert "TR-123" in order_page and "Refunded" in order_page


def test_finance_rejects_with_a_reason(finance, buyer, einvoice):
    member, _ = buyer
    order = _issued(*buyer)
    refund = order_refund_request(order=order, member=member)
    url = reverse("admin:shop_orderrefund_reject", args=[refund.pk])
    assert finance.post(url, {"reason": " "}).status_code == 200  # a reason is required
    assert OrderRefund.objects.get().status == "requested"
    assert finance.post(url, {"reason": "used at the dealer"}).status_code == 302
    assert OrderRefund.objects.get().status == "rejected"
    assert not Voucher.objects.filter(order=order, status="locked").exists()


def test_an_operator_cannot_decide_refunds(client, buyer, einvoice):
    member, _ = buyer
    refund = order_refund_request(order=_issued(*buyer), member=member)
    client.force_login(staff_user("Operations"))
    response = client.post(reverse("admin:shop_orderrefund_approve", args=[refund.pk]), {"reason": "x"})
    assert response.status_code == 403
    assert OrderRefund.objects.get().status == "requested"
