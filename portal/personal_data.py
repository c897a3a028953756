"""An owner's copy of their personal data (Taiwan PDPA art. 3 and 10: the right to a copy).

Reads across every app, so it sits in the portal, the top of the import order (docs/architecture.md).
Everything is keyed to the one member passed in; other people's data appears only masked (the
drivers an owner authorised) or not at all. Sign-in codes in the outbox are masked; the stored
hashes of sign-in codes are never exported.

`personal_data_export` returns {kind: [row, ...]}; `as_json` and `as_csv_zip` render it.
"""

import csv
import io
import json
import zipfile
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from campaigns.models import CampaignRecipient, EventIssuance, Notification
from campaigns.redact import codes_masked
from config.spreadsheet import spreadsheet_safe
from loyalty.models import Referral
from members.models import ConsentChange, ErasureRequest, Member
from redemption.models import Redemption
from vehicles.models import AuthorisedDriver, BindingRequest, Ownership
from vouchers.models import LedgerEntry, Order, RefundRequest, Voucher

from .models import LoginCode
from .selectors import vouchers_visible_to

FORMAT_VERSION = 1


def _value(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(queryset, fields: dict) -> list[dict]:
    """fields: {column: "orm__path"}; read with values() so the export costs one query per kind."""
    return [
        {column: _value(row[path]) for column, path in fields.items()}
        for row in queryset.values(*fields.values())
    ]


def _profile(member: Member) -> list[dict]:
    fields = {
        "member_id": "pk",
        "name": "name",
        "mobile_number": "phone",
        "email": "email",
        "birthday": "birthday",
        "tier": "tier",
        "identity_verified": "identity_verified",
        "consent_service_reminders": "consent_service",
        "consent_marketing": "consent_marketing",
        "preferred_channel": "preferred_channel",
        "line_user_id": "line_user_id",
        "language": "language",
        "referred_by_member_id": "referral__referrer_id",
        "referral_code": "referral_code__code",
        "created_at": "created_at",
        "erased_at": "erased_at",
    }
    return _rows(Member.objects.filter(pk=member.pk), fields)


def _notifications(member: Member) -> list[dict]:
    rows = Notification.objects.filter(member=member).order_by("created_at", "pk")
    fields = {
        "created_at": "created_at",
        "channel": "channel",
        "recipient": "recipient",
        "purpose": "purpose",
        "subject": "subject",
        "text": "body",
        "status": "status",
        "sent_at": "sent_at",
    }
    out = _rows(rows, fields)
    for row in out:
        if row["purpose"] == Notification.Purpose.LOGIN_CODE:
            row["text"] = codes_masked(row["text"])
    return out


def personal_data_export(*, member: Member) -> dict[str, list[dict]]:
    """Every record keyed to `member`, one list per kind (a few queries per kind, no N+1)."""
    vouchers = vouchers_visible_to(member) | Voucher.objects.filter(member=member)
    voucher_ids = list(vouchers.values_list("pk", flat=True).distinct())
    owned_vehicle_ids = list(
        Ownership.objects.current().filter(member=member).values_list("vehicle_id", flat=True)
    )
    drivers = AuthorisedDriver.objects.filter(
        Q(member=member) | Q(vehicle_id__in=owned_vehicle_ids)
    ).select_related("vehicle", "member")
    records = {
        "profile": _profile(member),
        "consent_changes": _rows(
            ConsentChange.objects.filter(member=member).order_by("changed_at", "pk"),
            {
                "changed_at": "changed_at",
                "kind": "kind",
                "old": "old_value",
                "new": "new_value",
                "source": "source",
            },
        ),
        "erasure_requests": _rows(
            ErasureRequest.objects.filter(member=member).order_by("requested_at", "pk"),
            {
                "requested_at": "requested_at",
                "status": "status",
                "decided_at": "decided_at",
                "reason": "decision_reason",
            },
        ),
        "vehicle_ownerships": _rows(
            Ownership.objects.filter(member=member).order_by("started_at", "pk"),
            {
                "plate": "vehicle__plate",
                "vin": "vehicle__vin",
                "model": "vehicle__model__name",
                "from": "started_at",
                "to": "ended_at",
                "first_owner": "is_first_owner",
            },
        ),
        "authorised_drivers": [
            {
                "plate": d.vehicle.plate,
                "driver": d.member.name if d.member_id == member.pk else d.member.name_masked,
                "you_are_the_driver": d.member_id == member.pk,
                "from": _value(d.started_at),
                "to": _value(d.ended_at),
            }
            for d in drivers.order_by("started_at", "pk")
        ],
        "binding_requests": _rows(
            BindingRequest.objects.filter(member=member).order_by("created_at", "pk"),
            {
                "requested_at": "created_at",
                "vin": "vin",
                "plate": "plate",
                "status": "status",
                "decided_at": "decided_at",
                "reason": "decision_reason",
            },
        ),
        "orders": _rows(
            Order.objects.filter(member=member).order_by("created_at", "pk"),
            {
                "order_number": "number",
                "created_at": "created_at",
                "pack": "bundle__name",
                "voucher": "definition__name",
                "quantity": "quantity",
                "amount_twd": "amount_twd",
                "status": "status",
                "paid_at": "paid_at",
                "issued_at": "issued_at",
            },
        ),
        "vouchers": _rows(
            Voucher.objects.filter(pk__in=voucher_ids).order_by("issued_at", "pk"),
            {
                "code": "code",
                "definition": "definition__name",
                "held_by_you": "member_id",
                "vehicle_plate": "vehicle__plate",
                "status": "status",
                "uses_total": "uses_total",
                "uses_left": "uses_left",
                "valid_from": "valid_from",
                "valid_until": "valid_until",
                "issued_at": "issued_at",
                "activated_at": "activated_at",
            },
        ),
        "voucher_ledger": _rows(
            LedgerEntry.objects.filter(voucher_id__in=voucher_ids).order_by("voucher_id", "pk"),
            {
                "voucher_code": "voucher__code",
                "at": "created_at",
                "kind": "kind",
                "delta": "delta",
                "status_before": "status_before",
                "status_after": "status_after",
                "uses_left_after": "uses_left_after",
                "dealer": "dealer__name",
            },
        ),
        "redemptions": _rows(
            Redemption.objects.filter(voucher_id__in=voucher_ids).order_by("started_at", "pk"),
            {
                "voucher_code": "voucher__code",
                "vehicle_plate": "vehicle__plate",
                "dealer": "dealer__name",
                "status": "status",
                "mileage_km": "mileage_km",
                "work_order": "work_order",
                "started_at": "started_at",
                "completed_at": "completed_at",
                "reversed_at": "reversed_at",
            },
        ),
        "refund_requests": _rows(
            RefundRequest.objects.filter(member=member).order_by("created_at", "pk"),
            {
                "voucher_code": "voucher__code",
                "requested_at": "created_at",
                "your_reason": "reason",
                "amount_twd": "amount_twd",
                "status": "status",
                "decided_at": "decided_at",
                "decision_reason": "decision_reason",
            },
        ),
        "notifications": _notifications(member),
        "campaign_messages": _rows(
            CampaignRecipient.objects.filter(member=member).order_by("pk"),
            {
                "campaign": "campaign__name",
                "vehicle_plate": "vehicle__plate",
                "status": "status",
                "at": "processed_at",
            },
        ),
        "event_grants": _rows(
            EventIssuance.objects.filter(member=member).order_by("created_at", "pk"),
            {"event": "event", "definition": "definition__name", "status": "status", "at": "created_at"},
        ),
        "referrals": [
            {
                "role": "referrer" if r.referrer_id == member.pk else "referred",
                "at": _value(r.created_at),
                "status": r.status,
                "decided_at": _value(r.decided_at),
            }
            for r in Referral.objects.filter(Q(referrer=member) | Q(friend=member)).order_by("pk")
        ],
        "sign_in_codes": _rows(
            LoginCode.objects.filter(phone=member.phone).exclude(phone="").order_by("created_at", "pk"),
            {
                "requested_at": "created_at",
                "requested_from": "client_ip",
                "expires_at": "expires_at",
                "closed_at": "closed_at",
                "closed_because": "closed_reason",
            },
        ),
    }
    for row in records["vouchers"]:
        row["held_by_you"] = row["held_by_you"] == member.pk
    return records


def as_json(records: dict, *, member: Member, now: datetime) -> bytes:
    document = {
        "format_version": FORMAT_VERSION,
        "generated_at": _value(now),
        "member_id": member.pk,
        "records": records,
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)  # a negative number is a number, not a formula
    return spreadsheet_safe(str(value))


def as_csv_zip(records: dict) -> bytes:
    """One CSV per kind in a zip; UTF-8 with a BOM so Excel shows Chinese, every cell formula-safe."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for kind, rows in records.items():
            text = io.StringIO()
            text.write("\ufeff")
            writer = csv.writer(text)
            columns = list(rows[0]) if rows else []
            writer.writerow(columns or ["(none)"])
            for row in rows:
                writer.writerow([_cell(row[c]) for c in columns])
            archive.writestr(f"{kind}.csv", text.getvalue().encode())
    return buffer.getvalue()
