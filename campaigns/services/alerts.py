"""A car's telematics alert, told to its owner: the vouchers operations' rules attach (once per alert
and rule), then one message (once per alert) with a link to the car's page in the portal.

A service message (consent to service messages, not marketing); a critical alert goes out at any
hour (`policy.IGNORES_QUIET_HOURS`), the others wait for the end of the quiet hours.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from bookings.links import booking_url_for_alert
from config.errors import DomainError
from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Member
from vehicles.models import Ownership, VehicleAlert
from vouchers.models import LedgerEntry, Voucher
from vouchers.services import voucher_issue

from ..models import AlertVoucherGrant, AlertVoucherRule, Notification
from .notify import Draft, member_notify

logger = logging.getLogger(__name__)
Purpose = Notification.Purpose


def alert_page_url(alert: VehicleAlert) -> str:
    """Where the message sends the owner: the car's page in the portal, at its open alerts (the
    booking form links from there)."""
    return f"{settings.SITE_URL}{reverse('portal:vehicle', args=[alert.vehicle_id])}#alerts"


def alert_rules_matching(alert: VehicleAlert) -> list[AlertVoucherRule]:
    rules = AlertVoucherRule.objects.filter(active=True, kind=alert.kind).select_related("definition")
    return [rule for rule in rules.order_by("pk") if rule.applies_to(alert.severity)]


def alert_voucher_grant(
    *, alert: VehicleAlert, rule: AlertVoucherRule, member: Member | None, now: datetime
) -> tuple[AlertVoucherGrant, list[Voucher]]:
    """Issue the rule's definition for this alert once; a refusal (stock, holder rules) is kept once."""
    existing = AlertVoucherGrant.objects.filter(alert=alert, rule=rule).first()
    if existing is not None:
        return existing, []
    key = f"alert:{alert.pk}:rule:{rule.pk}"
    try:
        with transaction.atomic():
            vouchers = voucher_issue(
                definition=rule.definition,
                # Operations' standing instruction from the back office: issued as they would by hand.
                source=Voucher.Source.MANUAL,
                member=member,
                vehicle=alert.vehicle,
                actor=Actor.system("vehicle_alert"),
                reason=f"vehicle alert {alert.pk} ({alert.kind})",
                idempotency_key=fit_to_column(LedgerEntry, "idempotency_key", key),
                now=now,
            )
            grant = AlertVoucherGrant.objects.create(
                alert=alert,
                rule=rule,
                status=AlertVoucherGrant.Status.ISSUED,
                vouchers_issued=len(vouchers),
                created_at=now,
            )
    except IntegrityError:  # the same alert granted by a concurrent run
        return AlertVoucherGrant.objects.get(alert=alert, rule=rule), []
    except DomainError as exc:
        grant, _created = AlertVoucherGrant.objects.get_or_create(
            alert=alert,
            rule=rule,
            defaults={
                "status": AlertVoucherGrant.Status.REFUSED,
                "reason": fit_to_column(AlertVoucherGrant, "reason", exc.message),
                "created_at": now,
            },
        )
        logger.info("alert %s: %s not issued: %s", alert.pk, rule.definition.code, exc.message)
        return grant, []
    return grant, vouchers


def vehicle_alert_notify(*, alert_id: int, now: datetime | None = None) -> Notification | None:
    """Grant the rules' vouchers and tell the car's current owner; None when there is nobody to tell
    (no owner) or nothing to tell any more (closed before the task ran). Safe to run twice."""
    now = now or timezone.now()
    alert = VehicleAlert.objects.select_related("vehicle", "vehicle__model").filter(pk=alert_id).first()
    if alert is None or not alert.is_open:
        return None
    ownership = (
        Ownership.objects.current().filter(vehicle_id=alert.vehicle_id).select_related("member").first()
    )
    member = ownership.member if ownership else None
    titles = []
    for rule in alert_rules_matching(alert):
        _grant, vouchers = alert_voucher_grant(alert=alert, rule=rule, member=member, now=now)
        if vouchers:
            titles.append({"title": rule.definition.title})
    if member is None:
        return None
    with override(member.language):
        kind, severity = str(alert.get_kind_display()), str(alert.get_severity_display())
    critical = alert.severity == VehicleAlert.Severity.CRITICAL
    notification, _created = member_notify(
        Draft(
            member=member,
            purpose=Purpose.VEHICLE_ALERT_CRITICAL if critical else Purpose.VEHICLE_ALERT,
            template_key="vehicle_alert",
            dedup_key=f"vehicle-alert:{alert.pk}",
            context={
                "plate": alert.vehicle.plate,
                "model": str(alert.vehicle.model),
                "kind": kind,
                "severity": severity,
                "critical": critical,
                "message": alert.message,
                "alert_url": alert_page_url(alert),
                "booking_url": booking_url_for_alert(alert),
                "vouchers": titles,
            },
        ),
        now=now,
    )
    return notification
