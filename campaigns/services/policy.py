"""Who may be sent what, when, and where: consent, quiet hours, the weekly cap, the address."""

from collections import Counter
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

import config.lookups  # noqa: F401  (field__any_of)
from members.models import Channel, Member

from ..models import Notification

Purpose = Notification.Purpose
# Transactional: asked for by the owner a moment ago; never deferred, never capped, no consent.
TRANSACTIONAL = {Purpose.LOGIN_CODE}
# Sent at any hour: sign-in codes, alerts to dealer staff (quiet hours protect owners, and a
# detractor should be called back within minutes), and a car's critical alert (a warning lamp or a
# flat tyre is about the owner's safety now, not an offer that can wait for the morning).
IGNORES_QUIET_HOURS = {Purpose.LOGIN_CODE, Purpose.NPS_DETRACTOR, Purpose.VEHICLE_ALERT_CRITICAL}

NO_SERVICE_CONSENT = _("no consent to service reminders")
NO_MARKETING_CONSENT = _("no consent to marketing")
NO_ADDRESS = _("no address for this channel")
WEEKLY_CAP = _("weekly limit of promotional messages reached")


def consent_refusal(member: Member | None, *, purpose: str, promotional: bool) -> str:
    """Why `member` may not receive this message, or ""."""
    if purpose in TRANSACTIONAL or member is None:
        return ""
    if promotional:
        return "" if member.consent_marketing else str(NO_MARKETING_CONSENT)
    return "" if member.consent_service else str(NO_SERVICE_CONSENT)


def _quiet_window() -> tuple[time, time] | None:
    spec = settings.NOTIFY_QUIET_HOURS.strip()
    if not spec:
        return None
    start, _sep, end = spec.partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_hours_end(now: datetime) -> datetime | None:
    """When the quiet hours that contain `now` end (local time), or None outside them."""
    window = _quiet_window()
    if window is None:
        return None
    start, end = window
    local = timezone.localtime(now)
    clock = local.time()
    if start <= end:
        inside = start <= clock < end
        end_day = local.date()
    else:  # over midnight, e.g. 21:00-09:00
        inside = clock >= start or clock < end
        end_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not inside:
        return None
    return timezone.make_aware(datetime.combine(end_day, end), timezone.get_current_timezone())


def send_time(now: datetime, *, purpose: str) -> datetime:
    """The earliest moment this message may go out."""
    if purpose in TRANSACTIONAL or purpose in IGNORES_QUIET_HOURS:
        return now
    return quiet_hours_end(now) or now


def promotional_sent_this_week(member_ids, now: datetime) -> Counter:
    """Promotional messages written (and not skipped or failed) in the last 7 days, per member."""
    rows = (
        Notification.objects.filter(
            member_id__any_of=list(member_ids),
            promotional=True,
            created_at__gte=now - timedelta(days=7),
            status__in=[Notification.Status.PENDING, Notification.Status.SENDING, Notification.Status.SENT],
        )
        .values("member_id")
        .annotate(n=Count("pk"))
    )
    return Counter({row["member_id"]: row["n"] for row in rows})


def member_address(member: Member, channel: str | None = None) -> tuple[str, str]:
    """(channel, recipient): the requested or preferred channel, else SMS to the mobile number."""
    wanted = channel or member.preferred_channel
    if wanted == Channel.LINE and member.line_user_id:
        return Channel.LINE, member.line_user_id
    if wanted == Channel.EMAIL and member.email:
        return Channel.EMAIL, member.email
    if member.phone:
        return Channel.SMS, member.phone
    return "", ""
