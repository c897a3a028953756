"""Event-triggered issuance: the definitions configured for an event, once per vehicle or member.

The once-key names the event, the definition and the holder (plus the period for yearly events);
`EventIssuance.key` is unique and written in the same transaction as the vouchers, and the key is
also the vouchers' idempotency key, so a replayed task or a second job run issues nothing.
"""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.errors import DomainError
from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Member
from vehicles.models import Ownership, Vehicle
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition
from vouchers.services import voucher_issue
from vouchers.validity import local_date

from ..messages import date_text
from ..models import EventIssuance, Notification
from .notify import Draft, member_notify

logger = logging.getLogger(__name__)
Event = VoucherDefinition.TriggerEvent
OncePer = VoucherDefinition.TriggerOncePer


def event_definitions(event: str) -> QuerySet[VoucherDefinition]:
    return VoucherDefinition.objects.filter(
        trigger_event=event, channel_event=True, status=VoucherDefinition.Status.PUBLISHED
    ).order_by("pk")


def first_owned_vehicle(member: Member) -> Vehicle | None:
    ownership = (
        Ownership.objects.current()
        .filter(member=member)
        .select_related("vehicle")
        .order_by("started_at", "pk")
        .first()
    )
    return ownership.vehicle if ownership else None


def once_key(
    definition: VoucherDefinition,
    event: str,
    *,
    member: Member | None,
    vehicle: Vehicle | None,
    period: str = "",
) -> str:
    if definition.trigger_once_per == OncePer.MEMBER and member is not None:
        holder = f"member:{member.pk}"
    elif vehicle is not None:
        holder = f"vehicle:{vehicle.pk}"
    else:
        holder = f"member:{member.pk if member else 0}"
    key = f"{event}:{definition.pk}:{holder}"
    return f"{key}:{period}" if period else key


def event_grant(
    *,
    definition: VoucherDefinition,
    event: str,
    member: Member | None,
    vehicle: Vehicle | None,
    period: str = "",
    source: str = Voucher.Source.EVENT,
    now: datetime | None = None,
) -> tuple[EventIssuance, list[Voucher]]:
    """Issue `definition` for this event and holder once; a refusal is recorded once too."""
    now = now or timezone.now()
    key = once_key(definition, event, member=member, vehicle=vehicle, period=period)
    if (
        vehicle is None
        and definition.holder_type
        in (
            VoucherDefinition.HolderType.VEHICLE,
            VoucherDefinition.HolderType.MEMBER_VEHICLE,
        )
        and member is not None
    ):
        vehicle = first_owned_vehicle(member)
    existing = EventIssuance.objects.filter(key=key).first()
    if existing is not None:
        return existing, []
    try:
        with transaction.atomic():
            vouchers = voucher_issue(
                definition=definition,
                source=source,
                member=member,
                vehicle=vehicle,
                actor=Actor.system(event),
                reason=f"event {event}",
                idempotency_key=fit_to_column(LedgerEntry, "idempotency_key", key),
                now=now,
            )
            grant = EventIssuance.objects.create(
                key=key,
                definition=definition,
                event=event,
                member=member,
                vehicle=vehicle,
                status=EventIssuance.Status.ISSUED,
                vouchers_issued=len(vouchers),
            )
    except IntegrityError:
        return EventIssuance.objects.get(key=key), []
    except DomainError as exc:
        grant, _created = EventIssuance.objects.get_or_create(
            key=key,
            defaults={
                "definition": definition,
                "event": event,
                "member": member,
                "vehicle": vehicle,
                "status": EventIssuance.Status.REFUSED,
                "reason": fit_to_column(EventIssuance, "reason", exc.message),
            },
        )
        logger.info("event %s: %s not issued: %s", event, definition.code, exc.message)
        return grant, []
    return grant, vouchers


def _tell(
    member: Member | None, definition: VoucherDefinition, grant: EventIssuance, vouchers: list[Voucher], now
):
    if member is None or not vouchers:
        return
    until = min((v.valid_until for v in vouchers if v.valid_until), default=None)
    member_notify(
        Draft(
            member=member,
            purpose=Notification.Purpose.VOUCHER_ISSUED,
            template_key="voucher_issued",
            dedup_key=f"issued:{grant.key}",
            context={
                "title": definition.title,
                "count": len(vouchers),
                "valid_until": date_text(local_date(until), member.language) if until else "",
            },
        ),
        now=now,
    )


def event_vouchers_issue(
    *, event: str, vehicle: Vehicle | None = None, member: Member | None = None, now: datetime | None = None
) -> list[Voucher]:
    """Issue every definition configured for `event` to this vehicle/member, and tell the member."""
    now = now or timezone.now()
    issued: list[Voucher] = []
    for definition in event_definitions(event):
        grant, vouchers = event_grant(
            definition=definition, event=event, member=member, vehicle=vehicle, now=now
        )
        _tell(member, definition, grant, vouchers, now)
        issued += vouchers
    return issued
