"""A local stand-in for ECPay (ECPAY_MODE=fake), so that `make run` sells end to end with no network.

It behaves as ECPay does where it matters to us: it checks the CheckMacValue of the checkout form,
keeps its own trades, shows a payment page, posts signed notifications to our ReturnURL from a
background worker — at once, a duplicate right after, and a late one — and answers trade queries.
Never used with DEBUG off (a system check refuses to start).
"""

import secrets
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import PaymentRejected
from ..models import FakeGatewayTrade
from .checkmac import check_mac_valid, signed
from .ecpay import DATE_FORMAT, DO_ACTION_PATH, TAIPEI

PAYMENT_TYPE = "Credit_CreditCard"


def _keys() -> dict[str, str]:
    return {"hash_key": settings.ECPAY_HASH_KEY, "hash_iv": settings.ECPAY_HASH_IV}


def _taipei(moment: datetime) -> str:
    return moment.astimezone(TAIPEI).strftime(DATE_FORMAT)


def fake_checkout_receive(fields: Mapping[str, str]) -> FakeGatewayTrade:
    """Accept a checkout form as ECPay would: signed by the merchant, a new or still unpaid trade."""
    if not check_mac_valid(fields, **_keys()) or fields.get("MerchantID") != settings.ECPAY_MERCHANT_ID:
        raise PaymentRejected(reason=_("wrong or missing CheckMacValue"))
    number = fields.get("MerchantTradeNo", "")
    if not (number.isascii() and number.isalnum() and len(number) <= 20):
        raise PaymentRejected(reason=_("invalid order number"))
    with transaction.atomic():
        trade = FakeGatewayTrade.objects.select_for_update().filter(merchant_trade_no=number).first()
        if trade is None:
            return FakeGatewayTrade.objects.create(
                merchant_trade_no=number, trade_no=f"{secrets.randbelow(10**20):020d}", fields=dict(fields)
            )
        if trade.paid_at is not None:
            raise PaymentRejected(reason=_("this order number has been paid already"))
        trade.fields = dict(fields)
        trade.save(update_fields=["fields"])
        return trade


def fake_pay(trade: FakeGatewayTrade, *, now: datetime | None = None) -> FakeGatewayTrade:
    with transaction.atomic():
        locked = FakeGatewayTrade.objects.select_for_update().get(pk=trade.pk)
        if locked.paid_at is None:
            locked.paid_at = now or timezone.now()
            locked.payment_type = PAYMENT_TYPE
            locked.save(update_fields=["paid_at", "payment_type"])
    return locked


def notification_fields(trade: FakeGatewayTrade) -> dict[str, str]:
    """The signed ReturnURL notification ECPay posts for a paid trade."""
    return signed(
        {
            "MerchantID": settings.ECPAY_MERCHANT_ID,
            "MerchantTradeNo": trade.merchant_trade_no,
            "StoreID": "",
            "RtnCode": "1",
            "RtnMsg": "交易成功",
            "TradeNo": trade.trade_no,
            "TradeAmt": trade.fields.get("TotalAmount", "0"),
            "PaymentDate": _taipei(trade.paid_at),
            "PaymentType": trade.payment_type,
            "PaymentTypeChargeFee": "0",
            "TradeDate": _taipei(trade.created_at),
            "SimulatePaid": "0",
            "CustomField1": "",
            "CustomField2": "",
            "CustomField3": "",
            "CustomField4": "",
        },
        **_keys(),
    )


def fake_deliver(trade: FakeGatewayTrade) -> str:
    """POST the notification to the merchant's ReturnURL, as ECPay's servers do; returns the answer."""
    url = trade.fields.get("ReturnURL", "")
    if not url.startswith(("http://", "https://")):
        raise PaymentRejected(reason=_("no ReturnURL"))
    data = urllib.parse.urlencode(notification_fields(trade)).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 (http(s) only, above)
    with urllib.request.urlopen(request, timeout=settings.ECPAY_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.read().decode("utf-8", "replace")


def query_answer(url: str, fields: dict[str, str]) -> str:
    """QueryTradeInfo as ECPay answers it: a signed, URL-encoded statement of the trade."""
    if not check_mac_valid(fields, **_keys()):
        return "CheckMacValue Error"
    trade = FakeGatewayTrade.objects.filter(merchant_trade_no=fields.get("MerchantTradeNo", "")).first()
    answer = {
        "MerchantID": settings.ECPAY_MERCHANT_ID,
        "MerchantTradeNo": fields.get("MerchantTradeNo", ""),
        "StoreID": "",
        "TradeNo": trade.trade_no if trade else "",
        "TradeAmt": trade.fields.get("TotalAmount", "0") if trade else "0",
        "PaymentDate": _taipei(trade.paid_at) if trade and trade.paid_at else "",
        "PaymentType": trade.payment_type if trade else "",
        "HandlingCharge": "0",
        "PaymentTypeChargeFee": "0",
        "TradeDate": _taipei(trade.created_at) if trade else "",
        "TradeStatus": "1" if trade and trade.paid_at else "0",
        "ItemName": trade.fields.get("ItemName", "") if trade else "",
    }
    return urllib.parse.urlencode(signed(answer, **_keys()))


def do_action_answer(url: str, fields: dict[str, str]) -> str:
    """DoAction as ECPay answers a credit-card refund (Action=R): within what was paid and not yet
    refunded, for a paid trade of this merchant, signed by it."""

    def refused(message: str) -> str:
        return urllib.parse.urlencode(
            {"MerchantID": settings.ECPAY_MERCHANT_ID, "RtnCode": "0", "RtnMsg": message}
        )

    if not check_mac_valid(fields, **_keys()) or fields.get("MerchantID") != settings.ECPAY_MERCHANT_ID:
        return refused("CheckMacValue Error")
    amount = fields.get("TotalAmount", "")
    if fields.get("Action") != "R" or not amount.isdigit() or int(amount) <= 0:
        return refused("Action or TotalAmount is wrong")
    with transaction.atomic():
        trade = (
            FakeGatewayTrade.objects.select_for_update()
            .filter(merchant_trade_no=fields.get("MerchantTradeNo", ""), trade_no=fields.get("TradeNo", ""))
            .first()
        )
        if trade is None or trade.paid_at is None:
            return refused("no such paid trade")
        refunded = int(trade.fields.get("_refunded", 0)) + int(amount)
        if refunded > int(trade.fields.get("TotalAmount", 0)):
            return refused("TotalAmount exceeds what is left to refund")
        trade.fields = {**trade.fields, "_refunded": refunded}
        trade.save(update_fields=["fields"])
    return urllib.parse.urlencode(
        {
            "MerchantID": settings.ECPAY_MERCHANT_ID,
            "MerchantTradeNo": trade.merchant_trade_no,
            "TradeNo": trade.trade_no,
            "RtnCode": "1",
            "RtnMsg": "Success",
        }
    )


def fake_transport(url: str, fields: dict[str, str]) -> str:
    """The stand-in's server side: DoAction or QueryTradeInfo, by path."""
    if url.endswith(DO_ACTION_PATH):
        return do_action_answer(url, fields)
    return query_answer(url, fields)
