"""A local stand-in for ECPay's B2C e-invoice API (ECPAY_INVOICE_MODE=fake), for development and tests.

It answers as ECPay does where it matters to us: it refuses a request whose Data does not decrypt with
the merchant's keys (TransCode ≠ 1), checks the Issue fields it can (amounts add up, a carrier number
for a carrier type, a donation code for a donation, 8 digits for a tax ID), refuses a RelateNumber it
has issued before, and looks issued invoices up, voids them and allows against them.
"""

import json
import secrets
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import FakeInvoice
from .crypto import DataUnreadable, data_decrypt, data_encrypt
from .ecpay import ALLOWANCE_PATH, INVALID_PATH, ISSUE_INFO_PATH, ISSUE_PATH, TAIPEI

DUPLICATE_RELATE_NUMBER = 5000061  # the stand-in's code for "this RelateNumber has an invoice"


def _keys() -> dict[str, str]:
    return {"hash_key": settings.ECPAY_INVOICE_HASH_KEY, "hash_iv": settings.ECPAY_INVOICE_HASH_IV}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(TAIPEI).strftime("%Y-%m-%d %H:%M:%S")


def _answer(data: dict, *, trans_code: int = 1, message: str = "") -> str:
    return json.dumps(
        {
            "MerchantID": settings.ECPAY_INVOICE_MERCHANT_ID,
            "RpHeader": {"Timestamp": int(timezone.now().timestamp())},
            "TransCode": trans_code,
            "TransMsg": message or ("Success" if trans_code == 1 else "Fail"),
            "Data": data_encrypt(data, **_keys()) if data else "",
        }
    )


def _refused(code: int, message: str) -> dict:
    return {"RtnCode": code, "RtnMsg": message}


def _issue_problem(data: dict) -> str:
    items = data.get("Items") or []
    if not data.get("RelateNumber") or not items:
        return "RelateNumber and Items are required"
    if sum(int(item.get("ItemAmount", 0)) for item in items) != int(data.get("SalesAmount", -1)):
        return "SalesAmount does not match the items"
    if data.get("Donation") == "1" and not str(data.get("LoveCode", "")).isdigit():
        return "LoveCode is required for a donation"
    if data.get("CarrierType") in ("2", "3") and not data.get("CarrierNum"):
        return "CarrierNum is required for this CarrierType"
    if data.get("CarrierType") == "1" and not (data.get("CustomerPhone") or data.get("CustomerEmail")):
        return "CustomerPhone or CustomerEmail is required for ECPay's carrier"
    identifier = str(data.get("CustomerIdentifier", ""))
    if identifier and not (len(identifier) == 8 and identifier.isdigit()):
        return "CustomerIdentifier must be 8 digits"
    return ""


def _issue(data: dict) -> dict:
    problem = _issue_problem(data)
    if problem:
        return _refused(1200001, problem)
    if FakeInvoice.objects.filter(relate_number=data["RelateNumber"]).exists():
        return _refused(DUPLICATE_RELATE_NUMBER, "RelateNumber already exists")
    letters = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(2))
    try:
        with transaction.atomic():
            invoice = FakeInvoice.objects.create(
                relate_number=data["RelateNumber"],
                number=f"{letters}{secrets.randbelow(10**8):08d}",
                random_number=f"{secrets.randbelow(10**4):04d}",
                data=data,
                amount_twd=int(data["SalesAmount"]),
            )
    except IntegrityError:  # two requests at once for one RelateNumber: the second is refused
        return _refused(DUPLICATE_RELATE_NUMBER, "RelateNumber already exists")
    return {
        "RtnCode": 1,
        "RtnMsg": "開立發票成功",
        "InvoiceNo": invoice.number,
        "InvoiceDate": _stamp(invoice.created_at),
        "RandomNumber": invoice.random_number,
    }


def _issue_info(data: dict) -> dict:
    invoice = FakeInvoice.objects.filter(relate_number=data.get("RelateNumber", "")).first()
    if invoice is None:
        return _refused(1600003, "no invoice for this RelateNumber")
    return {
        "RtnCode": 1,
        "RtnMsg": "查詢成功",
        "IIS_Relate_Number": invoice.relate_number,
        "IIS_Number": invoice.number,
        "IIS_Create_Date": _stamp(invoice.created_at),
        "IIS_Random_Number": invoice.random_number,
        "IIS_Sales_Amount": invoice.amount_twd,
        "IIS_Invalid_Status": "1" if invoice.voided else "0",
    }


def _invoice(data: dict) -> FakeInvoice | None:
    invoice = FakeInvoice.objects.select_for_update().filter(number=data.get("InvoiceNo", "")).first()
    if invoice is None or _stamp(invoice.created_at)[:10] != data.get("InvoiceDate", ""):
        return None
    return invoice


def _void(data: dict) -> dict:
    with transaction.atomic():
        invoice = _invoice(data)
        if invoice is None:
            return _refused(1500001, "no such invoice")
        if invoice.voided:
            return _refused(1500002, "the invoice is voided already")
        if invoice.allowed_twd:
            return _refused(1500003, "an invoice with allowances cannot be voided")
        invoice.voided = True
        invoice.save(update_fields=["voided"])
    return {"RtnCode": 1, "RtnMsg": "作廢發票成功", "InvoiceNo": invoice.number}


def _allow(data: dict) -> dict:
    amount = int(data.get("AllowanceAmount", 0))
    with transaction.atomic():
        invoice = _invoice(data)
        if invoice is None:
            return _refused(1500001, "no such invoice")
        if invoice.voided:
            return _refused(1500002, "the invoice is voided")
        if amount <= 0 or invoice.allowed_twd + amount > invoice.amount_twd:
            return _refused(1500004, "AllowanceAmount exceeds what is left on the invoice")
        invoice.allowed_twd += amount
        invoice.save(update_fields=["allowed_twd"])
    return {
        "RtnCode": 1,
        "RtnMsg": "開立折讓成功",
        "IA_Allow_No": f"{secrets.randbelow(10**16):016d}",
        "IA_Invoice_No": invoice.number,
        "IA_Date": _stamp(timezone.now()),
        "IA_Remain_Allowance_Amt": invoice.amount_twd - invoice.allowed_twd,
    }


HANDLERS = {ISSUE_PATH: _issue, ISSUE_INFO_PATH: _issue_info, INVALID_PATH: _void, ALLOWANCE_PATH: _allow}


def fake_invoice_answer(url: str, body: str) -> str:
    """The stand-in's answer to one request, as a JSON text like ECPay's."""
    try:
        request = json.loads(body)
        data = data_decrypt(str(request.get("Data", "")), **_keys())
    except (ValueError, DataUnreadable, AttributeError):
        return _answer({}, trans_code=999, message="Data cannot be decrypted")
    if str(request.get("MerchantID")) != settings.ECPAY_INVOICE_MERCHANT_ID or not isinstance(
        request.get("RqHeader", {}).get("Timestamp"), int
    ):
        return _answer({}, trans_code=999, message="MerchantID or RqHeader is wrong")
    handler = next((h for path, h in HANDLERS.items() if url.endswith(path)), None)
    if handler is None:
        return _answer({}, trans_code=999, message="no such API")
    return _answer(handler(data))
