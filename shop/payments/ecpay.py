"""ECPay All-In-One checkout (AioCheckOut V5): the form we send, the notifications we receive and the
trade query we ask, each signed and verified with CheckMacValue.

The adapter speaks to ECPay's stage or production hosts, or to the local stand-in (`fake.py`) through
the same code path: only the transport differs, so the tests exercise what production runs.
"""

import logging
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from ..exceptions import PaymentNotConfigured, PaymentRejected
from .checkmac import check_mac_valid, signed

logger = logging.getLogger(__name__)
TAIPEI = ZoneInfo("Asia/Taipei")
DATE_FORMAT = "%Y/%m/%d %H:%M:%S"  # how ECPay writes every date, in Taiwan time
HOSTS = {"stage": "https://payment-stage.ecpay.com.tw", "production": "https://payment.ecpay.com.tw"}
CHECKOUT_PATH = "/Cashier/AioCheckOut/V5"
QUERY_PATH = "/Cashier/QueryTradeInfo/V5"
DO_ACTION_PATH = "/CreditDetail/DoAction"  # credit-card close, refund (Action=R), cancel
# ECPay's PaymentType values start with the method: Credit_CreditCard, ATM_TAISHIN, CVS_CVS…
METHODS = {"Credit": "credit", "ATM": "atm", "CVS": "cvs"}

Transport = Callable[[str, dict[str, str]], str]


@dataclass(frozen=True)
class Checkout:
    """The form the owner's browser posts to ECPay."""

    action: str
    fields: dict[str, str]


@dataclass(frozen=True)
class TradeResult:
    """A verified statement from ECPay about one trade (a notification or a query answer)."""

    merchant_id: str
    merchant_trade_no: str
    trade_no: str
    amount: int | None
    paid: bool
    method: str
    paid_at: datetime | None
    message: str


def _parse_date(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=TAIPEI)
    except (TypeError, ValueError):
        return None


def _amount(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _http_post(url: str, fields: dict[str, str]) -> str:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 (https hosts above)
    with urllib.request.urlopen(request, timeout=settings.ECPAY_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.read().decode("utf-8")


class Gateway:
    def __init__(
        self, *, mode: str, merchant_id: str, hash_key: str, hash_iv: str, transport: Transport | None = None
    ):
        if mode not in ("fake", "stage", "production"):
            raise PaymentNotConfigured()
        self.mode, self.merchant_id, self.hash_key, self.hash_iv = mode, merchant_id, hash_key, hash_iv
        self._transport = transport

    # --- what we send ----------------------------------------------------------------------------
    def checkout(
        self,
        *,
        merchant_trade_no: str,
        amount: int,
        item_name: str,
        description: str,
        return_url: str,
        client_back_url: str,
        now: datetime,
        checkout_url: str | None = None,
    ) -> Checkout:
        """The signed AioCheckOut form for one order (credit card, paid at once)."""
        self._require_configured()
        fields = {
            "MerchantID": self.merchant_id,
            "MerchantTradeNo": merchant_trade_no,
            "MerchantTradeDate": now.astimezone(TAIPEI).strftime(DATE_FORMAT),
            "PaymentType": "aio",
            "TotalAmount": str(amount),
            "TradeDesc": description[:200],
            "ItemName": item_name[:400],
            "ReturnURL": return_url,
            "ClientBackURL": client_back_url,
            "ChoosePayment": "Credit",
            "EncryptType": "1",
        }
        action = checkout_url if self.mode == "fake" else HOSTS[self.mode] + CHECKOUT_PATH
        return Checkout(action=action, fields=self.sign(fields))

    def sign(self, fields: Mapping[str, object]) -> dict[str, str]:
        return signed(fields, hash_key=self.hash_key, hash_iv=self.hash_iv)

    # --- what we receive -------------------------------------------------------------------------
    def verified(self, fields: Mapping[str, str]) -> dict[str, str]:
        """`fields` if their CheckMacValue and merchant ID are ours; else PaymentRejected."""
        self._require_configured()
        if not check_mac_valid(fields, hash_key=self.hash_key, hash_iv=self.hash_iv):
            raise PaymentRejected(reason=_("wrong or missing CheckMacValue"))
        if fields.get("MerchantID") != self.merchant_id:
            raise PaymentRejected(reason=_("another merchant's message"))
        return dict(fields)

    def notification(self, fields: Mapping[str, str]) -> TradeResult:
        """A ReturnURL notification, verified. RtnCode 1 means paid."""
        data = self.verified(fields)
        simulated = data.get("SimulatePaid") == "1"
        return TradeResult(
            merchant_id=data["MerchantID"],
            merchant_trade_no=data.get("MerchantTradeNo", ""),
            trade_no=data.get("TradeNo", ""),
            amount=_amount(data.get("TradeAmt", "")),
            # A simulated payment (stage back office) is never money: only the fake and stage accept it.
            paid=data.get("RtnCode") == "1" and (not simulated or self.mode != "production"),
            method=METHODS.get(data.get("PaymentType", "").split("_")[0], "credit"),
            paid_at=_parse_date(data.get("PaymentDate", "")),
            message=data.get("RtnMsg", "")[:200],
        )

    def query(self, *, merchant_trade_no: str, now: datetime) -> TradeResult:
        """Ask ECPay about one trade (QueryTradeInfo V5); the answer is verified like a notification."""
        self._require_configured()
        fields = self.sign(
            {
                "MerchantID": self.merchant_id,
                "MerchantTradeNo": merchant_trade_no,
                "TimeStamp": str(int(now.timestamp())),
            }
        )
        url = HOSTS.get(self.mode, "fake:") + QUERY_PATH
        transport = self._transport or _http_post
        answer = dict(urllib.parse.parse_qsl(transport(url, fields), keep_blank_values=True))
        data = self.verified(answer)
        return TradeResult(
            merchant_id=data["MerchantID"],
            merchant_trade_no=data.get("MerchantTradeNo", ""),
            trade_no=data.get("TradeNo", ""),
            amount=_amount(data.get("TradeAmt", "")),
            paid=data.get("TradeStatus") == "1",
            method=METHODS.get(data.get("PaymentType", "").split("_")[0], "credit"),
            paid_at=_parse_date(data.get("PaymentDate", "")),
            message=data.get("TradeStatus", ""),
        )

    def refund(self, *, merchant_trade_no: str, trade_no: str, amount: int) -> str:
        """Refund `amount` of a credit-card trade (DoAction, Action=R); ECPay's answer is RtnCode=1 on
        success. Returns ECPay's message; PaymentRejected when refused or unreachable."""
        self._require_configured()
        fields = self.sign(
            {
                "MerchantID": self.merchant_id,
                "MerchantTradeNo": merchant_trade_no,
                "TradeNo": trade_no,
                "Action": "R",
                "TotalAmount": str(amount),
            }
        )
        transport = self._transport or _http_post
        try:
            text = transport(HOSTS.get(self.mode, "fake:") + DO_ACTION_PATH, fields)
        except OSError as exc:
            raise PaymentRejected(reason=str(exc)[:200] or exc.__class__.__name__) from exc
        answer = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
        if answer.get("RtnCode") != "1" or answer.get("MerchantID") != self.merchant_id:
            raise PaymentRejected(reason=(answer.get("RtnMsg") or text)[:200])
        return answer.get("RtnMsg", "")

    def _require_configured(self) -> None:
        if not (self.merchant_id and self.hash_key and self.hash_iv):
            raise PaymentNotConfigured()


def gateway() -> Gateway:
    """The gateway the settings choose; in fake mode its queries go to the local stand-in."""
    transport = None
    if settings.ECPAY_MODE == "fake":
        from .fake import fake_transport

        transport = fake_transport
    return Gateway(
        mode=settings.ECPAY_MODE,
        merchant_id=settings.ECPAY_MERCHANT_ID,
        hash_key=settings.ECPAY_HASH_KEY,
        hash_iv=settings.ECPAY_HASH_IV,
        transport=transport,
    )
