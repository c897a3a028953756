"""ECPay's B2C e-invoice API (v3, JSON): issue, look up, void and allow (折讓).

Every request is `{"MerchantID", "RqHeader": {"Timestamp"}, "Data"}` with `Data` encrypted
(`crypto.py`); every answer carries `TransCode` (1: the message was understood) and an encrypted
`Data` whose `RtnCode` (1: done) says what became of the request. Like the payment adapter, the
client talks to ECPay's hosts or to the local stand-in (`fake.py`) through one code path: only the
transport differs.
"""

import json
import logging
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from ..exceptions import InvoiceNotConfigured, InvoiceRejected
from .carriers import CarrierKind, InvoiceDetails
from .crypto import DataUnreadable, data_decrypt, data_encrypt

logger = logging.getLogger(__name__)
TAIPEI = ZoneInfo("Asia/Taipei")
HOSTS = {"stage": "https://einvoice-stage.ecpay.com.tw", "production": "https://einvoice.ecpay.com.tw"}
ISSUE_PATH = "/B2CInvoice/Issue"
ISSUE_INFO_PATH = "/B2CInvoice/GetIssueInfo"
INVALID_PATH = "/B2CInvoice/Invalid"
ALLOWANCE_PATH = "/B2CInvoice/Allowance"
# ECPay's CarrierType values: "1" its own carrier, "2" citizen certificate, "3" mobile barcode.
CARRIER_TYPES = {CarrierKind.CLOUD: "1", CarrierKind.CERTIFICATE: "2", CarrierKind.MOBILE: "3"}

Transport = Callable[[str, str], str]


@dataclass(frozen=True)
class IssuedInvoice:
    number: str
    issued_at: datetime
    random_number: str


@dataclass(frozen=True)
class Allowance:
    number: str
    remaining_twd: int | None


@dataclass(frozen=True)
class Sale:
    """What the invoice is for: one line, tax included (B2C prices are always tax-inclusive)."""

    relate_number: str
    item_name: str
    item_word: str
    quantity: int
    unit_price_twd: int
    amount_twd: int
    customer_name: str = ""
    customer_phone: str = ""
    customer_email: str = ""


def _parse_datetime(text: str) -> datetime:
    # ECPay writes "2019-09-17 17:42:19" (sometimes with "+" for the space, or "/" for "-").
    cleaned = text.replace("+", " ").replace("/", "-").strip()
    try:
        return datetime.strptime(cleaned, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TAIPEI)
    except ValueError as exc:
        raise InvoiceRejected(reason=f"unreadable date {text!r}") from exc


def _http_post(url: str, body: str) -> str:
    request = urllib.request.Request(  # noqa: S310 (https hosts above)
        url, data=body.encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=settings.ECPAY_HTTP_TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.read().decode("utf-8")


class InvoiceClient:
    def __init__(
        self, *, mode: str, merchant_id: str, hash_key: str, hash_iv: str, transport: Transport | None = None
    ):
        if mode not in ("fake", "stage", "production"):
            raise InvoiceNotConfigured()
        self.mode, self.merchant_id, self.hash_key, self.hash_iv = mode, merchant_id, hash_key, hash_iv
        self._transport = transport or _http_post

    # --- the four calls we make ------------------------------------------------------------------
    def issue(self, *, sale: Sale, details: InvoiceDetails, now: datetime) -> IssuedInvoice:
        """Issue the B2C invoice whose RelateNumber is `sale.relate_number`. ECPay refuses a RelateNumber
        it has seen; then the invoice it issued before is looked up and returned, so that a retry after
        a lost answer never issues twice."""
        data = self.issue_data(sale=sale, details=details)
        answer = self._call(ISSUE_PATH, data, now=now)
        if answer.get("RtnCode") == 1:
            return IssuedInvoice(
                number=str(answer["InvoiceNo"]),
                issued_at=_parse_datetime(str(answer.get("InvoiceDate", ""))),
                random_number=str(answer.get("RandomNumber", "")),
            )
        earlier = self.issued(relate_number=sale.relate_number, now=now)
        if earlier is not None:
            return earlier
        raise InvoiceRejected(reason=f"{answer.get('RtnCode')} {answer.get('RtnMsg', '')}"[:200])

    def issued(self, *, relate_number: str, now: datetime) -> IssuedInvoice | None:
        """The invoice issued for `relate_number`, if there is one (GetIssueInfo)."""
        answer = self._call(
            ISSUE_INFO_PATH, {"MerchantID": self.merchant_id, "RelateNumber": relate_number}, now=now
        )
        if answer.get("RtnCode") != 1 or not answer.get("IIS_Number"):
            return None
        return IssuedInvoice(
            number=str(answer["IIS_Number"]),
            issued_at=_parse_datetime(str(answer.get("IIS_Create_Date", ""))),
            random_number=str(answer.get("IIS_Random_Number", "")),
        )

    def void(self, *, number: str, issued_on: date, reason: str, now: datetime) -> None:
        answer = self._call(
            INVALID_PATH,
            {
                "MerchantID": self.merchant_id,
                "InvoiceNo": number,
                "InvoiceDate": issued_on.isoformat(),
                "Reason": reason[:20],
            },
            now=now,
        )
        if answer.get("RtnCode") != 1:
            raise InvoiceRejected(reason=f"{answer.get('RtnCode')} {answer.get('RtnMsg', '')}"[:200])

    def allowance(
        self, *, number: str, issued_on: date, amount_twd: int, item_name: str, now: datetime
    ) -> Allowance:
        answer = self._call(
            ALLOWANCE_PATH,
            {
                "MerchantID": self.merchant_id,
                "InvoiceNo": number,
                "InvoiceDate": issued_on.isoformat(),
                "AllowanceNotify": "N",
                "AllowanceAmount": amount_twd,
                "Items": [
                    {
                        "ItemSeq": 1,
                        "ItemName": item_name[:100],
                        "ItemCount": 1,
                        "ItemWord": "式",
                        "ItemPrice": amount_twd,
                        "ItemTaxType": "1",
                        "ItemAmount": amount_twd,
                    }
                ],
            },
            now=now,
        )
        if answer.get("RtnCode") != 1:
            raise InvoiceRejected(reason=f"{answer.get('RtnCode')} {answer.get('RtnMsg', '')}"[:200])
        remaining = answer.get("IA_Remain_Allowance_Amt")
        return Allowance(
            number=str(answer.get("IA_Allow_No", "")),
            remaining_twd=int(remaining) if remaining not in (None, "") else None,
        )

    # --- the shape of it -------------------------------------------------------------------------
    def issue_data(self, *, sale: Sale, details: InvoiceDetails) -> dict:
        """The Issue request's Data. A company invoice (統一編號) goes to ECPay's carrier with the
        title as the buyer's name; nothing is printed (the buyer gets it by phone or e-mail)."""
        donation = details.kind == CarrierKind.DONATION
        carrier_type = "" if donation else CARRIER_TYPES.get(details.kind, "1")
        return {
            "MerchantID": self.merchant_id,
            "RelateNumber": sale.relate_number,
            "CustomerIdentifier": details.tax_id,
            "CustomerName": details.title or sale.customer_name,
            "CustomerAddr": "",
            "CustomerPhone": sale.customer_phone,
            "CustomerEmail": sale.customer_email,
            "Print": "0",
            "Donation": "1" if donation else "0",
            "LoveCode": details.donation_code,
            "CarrierType": carrier_type,
            "CarrierNum": details.carrier,
            "TaxType": "1",
            "SalesAmount": sale.amount_twd,
            "InvType": "07",
            "vat": "1",
            "Items": [
                {
                    "ItemSeq": 1,
                    "ItemName": sale.item_name[:100],
                    "ItemCount": sale.quantity,
                    "ItemWord": sale.item_word[:6],
                    "ItemPrice": sale.unit_price_twd,
                    "ItemTaxType": "1",
                    "ItemAmount": sale.amount_twd,
                }
            ],
        }

    def _call(self, path: str, data: dict, *, now: datetime) -> dict:
        if not (self.merchant_id and self.hash_key and self.hash_iv):
            raise InvoiceNotConfigured()
        keys = {"hash_key": self.hash_key, "hash_iv": self.hash_iv}
        body = json.dumps(
            {
                "MerchantID": self.merchant_id,
                "RqHeader": {"Timestamp": int(now.timestamp())},
                "Data": data_encrypt(data, **keys),
            }
        )
        url = HOSTS.get(self.mode, "fake:") + path
        try:
            answer = json.loads(self._transport(url, body))
        except (OSError, ValueError) as exc:
            logger.warning("e-invoice call %s failed: %s", path, exc)
            raise InvoiceRejected(reason=str(exc)[:200] or exc.__class__.__name__) from exc
        if not isinstance(answer, dict) or answer.get("TransCode") != 1:
            message = answer.get("TransMsg", "") if isinstance(answer, dict) else ""
            raise InvoiceRejected(
                reason=f"TransCode {answer.get('TransCode') if isinstance(answer, dict) else '?'} {message}"[
                    :200
                ]
            )
        if str(answer.get("MerchantID", "")) != self.merchant_id:
            raise InvoiceRejected(reason="another merchant's answer")
        try:
            return data_decrypt(str(answer.get("Data", "")), **keys)
        except DataUnreadable as exc:
            raise InvoiceRejected(reason="unreadable answer") from exc


def invoice_client() -> InvoiceClient:
    """The client the settings choose; in fake mode it talks to the local stand-in."""
    transport = None
    if settings.ECPAY_INVOICE_MODE == "fake":
        from .fake import fake_invoice_answer

        transport = fake_invoice_answer
    return InvoiceClient(
        mode=settings.ECPAY_INVOICE_MODE,
        merchant_id=settings.ECPAY_INVOICE_MERCHANT_ID,
        hash_key=settings.ECPAY_INVOICE_HASH_KEY,
        hash_iv=settings.ECPAY_INVOICE_HASH_IV,
        transport=transport,
    )
