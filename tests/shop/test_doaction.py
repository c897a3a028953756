"""ECPay's credit-card refund (DoAction, Action=R) through the gateway, against the stand-in."""

import urllib.parse

import pytest

from shop.exceptions import PaymentRejected
from shop.models import FakeGatewayTrade
from shop.payments.checkmac import check_mac_valid
from shop.payments.ecpay import Gateway, gateway
from shop.payments.fake import fake_checkout_receive, fake_pay, fake_transport

from .conftest import place_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def trade(ecpay, buyer):
    order = place_order(*buyer)
    checkout = gateway().checkout(
        merchant_trade_no=order.number,
        amount=order.amount_twd,
        item_name="item",
        description="test",
        return_url="http://testserver/payments/ecpay/notify/",
        client_back_url="http://testserver/portal/",
        now=order.created_at,
        checkout_url="/payments/fake-ecpay/checkout/",
    )
    return fake_pay(fake_checkout_receive(checkout.fields))


def test_the_request_is_signed_and_says_refund(trade):
    seen = []

    def spy(url, fields):
        seen.append((url, fields))
        return fake_transport(url, fields)

    client = Gateway(
        mode="stage",
        merchant_id="3002607",
        hash_key="pwFHCqoQZGmho4w6",
        hash_iv="EkRm7iFT261dpevs",
        transport=spy,
    )
    client.refund(merchant_trade_no=trade.merchant_trade_no, trade_no=trade.trade_no, amount=500)
    url, fields = seen[0]
    assert url == "https://payment-stage.ecpay.com.tw/CreditDetail/DoAction"
    assert (fields["Action"], fields["TotalAmount"], fields["TradeNo"]) == ("R", "500", trade.trade_no)
    assert check_mac_valid(fields, hash_key="pwFHCqoQZGmho4w6", hash_iv="EkRm7iFT261dpevs")


def test_refunds_add_up_to_at_most_what_was_paid(trade):
    gateway().refund(merchant_trade_no=trade.merchant_trade_no, trade_no=trade.trade_no, amount=1500)
    with pytest.raises(PaymentRejected, match="exceeds"):
        gateway().refund(merchant_trade_no=trade.merchant_trade_no, trade_no=trade.trade_no, amount=501)
    gateway().refund(merchant_trade_no=trade.merchant_trade_no, trade_no=trade.trade_no, amount=500)
    assert FakeGatewayTrade.objects.get(pk=trade.pk).fields["_refunded"] == 2000


def test_a_wrong_signature_or_trade_is_refused(trade):
    wrong = Gateway(
        mode="fake", merchant_id="3002607", hash_key="x" * 16, hash_iv="y" * 16, transport=fake_transport
    )
    with pytest.raises(PaymentRejected, match="CheckMacValue"):
        wrong.refund(merchant_trade_no=trade.merchant_trade_no, trade_no=trade.trade_no, amount=1)
    with pytest.raises(PaymentRejected, match="no such paid trade"):
        gateway().refund(merchant_trade_no=trade.merchant_trade_no, trade_no="0" * 20, amount=1)


def test_a_network_failure_is_a_refusal(ecpay):
    def down(url, fields):
        raise OSError("timed out")

    client = Gateway(mode="stage", merchant_id="3002607", hash_key="k" * 16, hash_iv="i" * 16, transport=down)
    with pytest.raises(PaymentRejected, match="timed out"):
        client.refund(merchant_trade_no="SV1", trade_no="1", amount=1)


def test_the_answer_is_form_encoded(trade):
    fields = gateway().sign(
        {
            "MerchantID": "3002607",
            "MerchantTradeNo": trade.merchant_trade_no,
            "TradeNo": trade.trade_no,
            "Action": "R",
            "TotalAmount": "1",
        }
    )
    answer = dict(urllib.parse.parse_qsl(fake_transport("fake:/CreditDetail/DoAction", fields)))
    assert answer["RtnCode"] == "1" and answer["TradeNo"] == trade.trade_no
