"""Nightly reminders: expiry, unused value, and service due by time or mileage (whichever first).

Every function here is a job step: `(now, cursor, deadline) -> (messages written, next cursor)`,
where a cursor of None means the step is finished. Each de-duplication key names the purpose and the
period (the expiry date and stage, the quarter, the service cycle and stage), so running a step
twice, or again after a crash, writes nothing new.
"""

import math
import time
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from bookings.links import booking_new_url
from members.models import Member
from redemption.models import Redemption
from vehicles.models import MileageReading, Vehicle, VehicleModel, Visit
from vehicles.selectors import current_owner_id_subquery
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition
from vouchers.validity import add_months, end_of_day, local_date, start_of_day

from ..messages import date_text
from ..models import Notification
from .notify import Draft, notifications_bulk_queue
from .offers import OfferTarget, reminder_offers_attach

Purpose = Notification.Purpose
USABLE = [Voucher.Status.ACTIVE, Voucher.Status.INACTIVE]


def _current_owner():
    return current_owner_id_subquery("vehicle_id")


def _members(ids) -> dict[int, Member]:
    return {m.pk: m for m in Member.objects.filter(pk__in=set(ids))}


def _flush(drafts: list[Draft], now: datetime) -> int:
    return notifications_bulk_queue(drafts, now=now) if drafts else 0


def _keys_written(purpose: str, since: datetime) -> set[str]:
    """De-duplication keys of `purpose` written since `since`, in one query.

    Checked before anything is built for a candidate: a second run the same night finds every key
    here and loads no member, formats no date and renders no message.
    """
    return set(
        Notification.objects.filter(purpose=purpose, created_at__gte=since)
        .order_by()
        .values_list("dedup_key", flat=True)
    )


def _local_day(field: str) -> TruncDate:
    """The Asia/Taipei date of a timestamp, computed by the database (no timestamp parsed in Python)."""
    return TruncDate(field, tzinfo=timezone.get_default_timezone())


def _expiry_stage(days_left: int, issued_on: date, until: date, stages: list[int]) -> int | None:
    """The reminder stage (days before) a voucher is in today, if it lived through that stage's start."""
    fitting = [d for d in stages if days_left <= d]
    if not fitting:
        return None
    stage = min(fitting)
    return stage if issued_on <= until - timedelta(days=stage) else None


def expiry_reminders(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """One message per member, expiry date and stage, listing every voucher that expires that day.

    Stages come from each definition's `reminder_days` (default 30, 7 and 1 days before). The cursor
    is the last member id done; members are handled in id order.
    """
    today = local_date(now)
    stages_of = {
        pk: VoucherDefinition(reminder_days=days).reminder_days_list
        for pk, days in VoucherDefinition.objects.exclude(reminder_days="").values_list("pk", "reminder_days")
    }
    longest = max((max(s) for s in stages_of.values() if s), default=0)
    if not longest:
        return 0, None
    rows = (
        Voucher.objects.filter(
            status__in=USABLE,
            valid_until__gte=now,
            valid_until__lte=end_of_day(today + timedelta(days=longest)),
            uses_left__gt=0,
        )
        .annotate(
            owner_id=_current_owner(), until=_local_day("valid_until"), issued_on=_local_day("issued_at")
        )
        .order_by()
        .values_list(
            "pk", "member_id", "owner_id", "definition_id", "until", "issued_on", "uses_left", "code"
        )
    )
    titles = {
        pk: card or name
        for pk, card, name in VoucherDefinition.objects.values_list("pk", "card_title", "name")
    }
    # A key names an expiry day (today or later) and a stage at most `longest` days before it, so it
    # was written in the last `longest` days.
    sent = _keys_written(Purpose.EXPIRY_REMINDER, now - timedelta(days=longest + 2))
    groups: dict[tuple[int, date, int], list] = defaultdict(list)
    for pk, member_id, owner_id, definition_id, until, issued_on, uses_left, code in rows.iterator(5000):
        recipient = member_id or owner_id
        if recipient is None or (cursor is not None and recipient <= cursor):
            continue
        stage = _expiry_stage((until - today).days, issued_on, until, stages_of.get(definition_id, []))
        if stage is None or f"expiry:{recipient}:{until.isoformat()}:{stage}" in sent:
            continue
        groups[(recipient, until, stage)].append((pk, definition_id, uses_left, code))
    by_member: dict[int, list] = defaultdict(list)
    for (member_id, until, stage), vouchers in sorted(groups.items()):
        by_member[member_id].append((until, stage, vouchers))
    written = 0
    member_ids = sorted(by_member)
    batch = settings.JOBS_BATCH_SIZE
    for start in range(0, len(member_ids), batch):
        chunk = member_ids[start : start + batch]
        members = _members(chunk)
        targets = []
        for member_id, until, stage, vouchers in (
            (mid, until, stage, vouchers)
            for mid in chunk
            if mid in members
            for until, stage, vouchers in by_member[mid]
        ):
            member = members[member_id]
            targets.append(
                OfferTarget(
                    Draft(
                        member=member,
                        purpose=Purpose.EXPIRY_REMINDER,
                        template_key="expiry_reminder",
                        dedup_key=f"expiry:{member_id}:{until.isoformat()}:{stage}",
                        context={
                            "vouchers": [
                                {"title": titles.get(d, ""), "uses_left": left, "code": code}
                                for _pk, d, left, code in vouchers
                            ],
                            "count": len(vouchers),
                            "expires_on": date_text(until, member.language),
                            "days_left": (until - today).days,
                        },
                    )
                )
            )
        reminder_offers_attach(reminder=Purpose.EXPIRY_REMINDER, targets=targets, now=now)
        written += _flush([t.draft for t in targets], now)
        if deadline is not None and time.monotonic() > deadline and start + batch < len(member_ids):
            return written, chunk[-1]
    return written, None


def unused_value_reminders(
    *, now: datetime, cursor=None, deadline: float | None = None
) -> tuple[int, object]:
    """Vouchers without expiry that nobody used for REMINDER_UNUSED_AFTER_DAYS: one message per member
    per REMINDER_UNUSED_EVERY_DAYS period. Cursor: the last member id done."""
    quiet_since = now - timedelta(days=settings.REMINDER_UNUSED_AFTER_DAYS)
    every = settings.REMINDER_UNUSED_EVERY_DAYS
    period = local_date(now).toordinal() // every
    used_lately = LedgerEntry.objects.filter(
        voucher=OuterRef("pk"), kind=LedgerEntry.Kind.REDEEMED, created_at__gte=quiet_since
    )
    rows = (
        Voucher.objects.filter(
            status__in=USABLE, valid_until__isnull=True, uses_left__gt=0, issued_at__lt=quiet_since
        )
        .filter(~Exists(used_lately))
        .annotate(owner_id=_current_owner())
        .order_by()
        .values_list("member_id", "owner_id", "uses_left", "uses_total", "definition__face_value_twd")
    )
    # This period's keys were written since the period began.
    sent = _keys_written(Purpose.UNUSED_VALUE, start_of_day(date.fromordinal(period * every)))
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for member_id, owner_id, left, total, face in rows.iterator(5000):
        recipient = member_id or owner_id
        if recipient is None or (cursor is not None and recipient <= cursor):
            continue
        if f"unused:{recipient}:{period}" in sent:
            continue
        entry = totals[recipient]
        entry[0] += 1
        entry[1] += left
        entry[2] += face * left // max(total, 1)
    written = 0
    member_ids = sorted(totals)
    batch = settings.JOBS_BATCH_SIZE
    for start in range(0, len(member_ids), batch):
        chunk = member_ids[start : start + batch]
        members = _members(chunk)
        drafts = [
            Draft(
                member=members[mid],
                purpose=Purpose.UNUSED_VALUE,
                template_key="unused_value",
                dedup_key=f"unused:{mid}:{period}",
                context={"count": totals[mid][0], "uses_left": totals[mid][1], "value_twd": totals[mid][2]},
            )
            for mid in chunk
            if mid in members
        ]
        written += _flush(drafts, now)
        if deadline is not None and time.monotonic() > deadline and start + batch < len(member_ids):
            return written, chunk[-1]
    return written, None


# --- service due by time or by mileage --------------------------------------------------------


def km_per_day(
    *,
    first_at: date | None,
    first_km: int | None,
    last_at: date | None,
    last_km: int | None,
    base_on: date,
    base_km: int,
) -> float:
    """Average daily distance from the recorded readings (or from the last service to the latest one)."""
    if first_at and last_at and (last_at - first_at).days >= 14 and last_km > first_km:
        return (last_km - first_km) / (last_at - first_at).days
    if last_at and (last_at - base_on).days >= 14 and last_km > base_km:
        return (last_km - base_km) / (last_at - base_on).days
    return settings.REMINDER_DEFAULT_KM_PER_DAY


def service_due(
    *,
    base_on: date,
    base_km: int | None,
    interval_months: int,
    interval_km: int,
    readings: tuple | None,
) -> tuple[date, bool, int]:
    """(due date, due by mileage first?, km at which it is due).

    `base_on`/`base_km`: the last maintenance (or delivery at 0 km); `readings`: (first day, first km,
    last day, last km) of the recent odometer history, or None.
    """
    first_at, first_km, last_at, last_km = readings or (None, None, None, None)
    rate = km_per_day(
        first_at=first_at,
        first_km=first_km,
        last_at=last_at,
        last_km=last_km,
        base_on=base_on,
        base_km=base_km or 0,
    )
    if base_km is None:  # last service without an odometer reading: estimate it from the history
        base_km = max(0, int((last_km or 0) - rate * ((last_at or base_on) - base_on).days))
    due_km = base_km + interval_km
    by_time = add_months(base_on, interval_months)
    ref_on, ref_km = (last_at, last_km) if last_at and last_at >= base_on else (base_on, base_km)
    by_mileage = ref_on + timedelta(days=max(0, math.ceil((due_km - ref_km) / rate)))
    return (by_mileage, True, due_km) if by_mileage < by_time else (by_time, False, due_km)


def service_stage(due_on: date, today: date) -> int | None:
    """The cadence offset (days from the due date) to remind at today, if any."""
    offsets = sorted(settings.REMINDER_SERVICE_OFFSETS)
    crossed = [o for o in offsets if today >= due_on + timedelta(days=o)]
    if not crossed:
        return None
    stage = crossed[-1]
    if today >= due_on + timedelta(days=stage + settings.REMINDER_SERVICE_WINDOW_DAYS):
        return None  # this stage's window passed (e.g. after a long outage): don't send stale news
    return stage


def _maybe_due(today: date) -> Q:
    """Vehicles whose service can be in a reminder stage today; a superset, decided in the database.

    A stage is current only while today < due date + offset + window, and the due date is never
    later than the time-based one (last service, or delivery, + the model's interval). So a vehicle
    whose last service (or delivery, without one) is older than that bound, per model, cannot be
    due: it is not read, nor computed, on any run (most of the fleet on a given night).
    """
    reach = max(settings.REMINDER_SERVICE_OFFSETS) + settings.REMINDER_SERVICE_WINDOW_DAYS
    margin = timedelta(days=7)  # month-end clamping in add_months moves a date by at most 3 days
    since = {
        model_id: add_months(today - timedelta(days=reach), -months) - margin
        for model_id, months in VehicleModel.objects.values_list("pk", "service_interval_months")
    }
    if not since:
        return Q(pk__in=[])
    delivered = Q(pk__in=[])
    for model_id, day in since.items():
        delivered |= Q(model_id=model_id, delivery_date__gte=day)
    # Serviced since the earliest of the bounds: a wider net, read once as a set (not per vehicle).
    earliest = min(since.values())
    served = Redemption.objects.filter(
        status=Redemption.Status.COMPLETED,
        voucher__definition__category=VoucherDefinition.Category.MAINTENANCE,
        completed_at__gte=start_of_day(earliest),
    ).values("vehicle_id")
    visited = Visit.objects.filter(kind=Visit.Kind.MAINTENANCE, visited_on__gte=earliest).values("vehicle_id")
    return delivered | Q(pk__in=served) | Q(pk__in=visited)


def service_reminders(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """Vehicles with a current owner, in id order; cursor: the last vehicle id done."""
    today = local_date(now)
    history_from = now - timedelta(days=730)
    batch = settings.JOBS_BATCH_SIZE
    written = 0
    after = cursor or 0
    maybe_due = _maybe_due(today)
    while True:
        vehicles = list(
            # Without an owner a car is skipped below: filtering on the subquery here would run it twice.
            Vehicle.objects.filter(maybe_due, pk__gt=after)
            .annotate(owner_id=current_owner_id_subquery("pk"))
            .order_by("pk")
            .values_list(
                "pk",
                "plate",
                "delivery_date",
                "model__name",
                "model__service_interval_km",
                "model__service_interval_months",
                "owner_id",
                "model_id",
            )[:batch]
        )
        if not vehicles:
            return written, None
        ids = [v[0] for v in vehicles]
        readings = {
            row["vehicle_id"]: (row["first_at"], row["first_km"], row["last_at"], row["last_km"])
            # The batch's cars only: their pk range alone would aggregate the readings of every car
            # between them, most of which cannot be due (several times the batch on a large fleet).
            for row in MileageReading.objects.filter(
                vehicle_id__in=ids,
                vehicle_id__gte=ids[0],
                vehicle_id__lte=ids[-1],
                recorded_at__gte=history_from,
            )
            .values("vehicle_id")
            .annotate(
                first_at=Min(_local_day("recorded_at")),
                last_at=Max(_local_day("recorded_at")),
                first_km=Min("km"),
                last_km=Max("km"),
            )
        }
        last_service: dict[int, tuple[date, int | None]] = {}
        for vehicle_id, completed_on, km in (
            Redemption.objects.filter(
                vehicle_id__gte=ids[0],
                vehicle_id__lte=ids[-1],
                status=Redemption.Status.COMPLETED,
                voucher__definition__category=VoucherDefinition.Category.MAINTENANCE,
            )
            .order_by("vehicle_id", "-completed_at")
            .values_list("vehicle_id", _local_day("completed_at"), "mileage_km")
        ):
            last_service.setdefault(vehicle_id, (completed_on, km))
        # A maintenance visit the DMS reported counts as a service too, voucher or not.
        for vehicle_id, visited_on, km in (
            Visit.objects.filter(vehicle_id__gte=ids[0], vehicle_id__lte=ids[-1], kind=Visit.Kind.MAINTENANCE)
            .order_by("vehicle_id", "-visited_on")
            .values_list("vehicle_id", "visited_on", "mileage_km")
        ):
            known = last_service.get(vehicle_id)
            if known is None or known[0] < visited_on:
                last_service[vehicle_id] = (visited_on, km)
        due_now = []
        for pk, plate, delivered, model_name, interval_km, interval_months, owner_id, model_id in vehicles:
            base = last_service.get(pk) or ((delivered, 0) if delivered else None)
            if base is None or owner_id is None:
                continue
            due_on, by_mileage, due_km = service_due(
                base_on=base[0],
                base_km=base[1],
                interval_months=interval_months,
                interval_km=interval_km,
                readings=readings.get(pk),
            )
            stage = service_stage(due_on, today)
            if stage is not None:
                key = f"service:{pk}:{base[0].isoformat()}:{stage}"
                due_now.append((key, plate, model_name, owner_id, due_on, by_mileage, due_km, pk, model_id))
        # Reminded already (this night or an earlier one): one query for the batch, before any
        # member is loaded or any message rendered.
        sent = set(
            Notification.objects.filter(dedup_key__in=[row[0] for row in due_now]).values_list(
                "dedup_key", flat=True
            )
        )
        due_now = [row for row in due_now if row[0] not in sent]
        members = _members(row[3] for row in due_now)
        targets = []
        for key, plate, model_name, owner_id, due_on, by_mileage, due_km, pk, model_id in due_now:
            member = members[owner_id]
            draft = Draft(
                member=member,
                purpose=Purpose.SERVICE_REMINDER,
                template_key="service_reminder",
                dedup_key=key,
                context={
                    "plate": plate,
                    "model": model_name,
                    "due_on": date_text(due_on, member.language),
                    "overdue_days": max(0, (today - due_on).days),
                    "due_by_mileage": by_mileage,
                    "due_km": due_km,
                    # The booking form, prefilled with this car and a maintenance service.
                    "booking_url": booking_new_url(
                        vehicle_id=pk, service=VoucherDefinition.Category.MAINTENANCE
                    ),
                },
            )
            targets.append(OfferTarget(draft, vehicle_id=pk, model_id=model_id))
        reminder_offers_attach(reminder=Purpose.SERVICE_REMINDER, targets=targets, now=now)
        written += _flush([t.draft for t in targets], now)
        after = ids[-1]
        if deadline is not None and time.monotonic() > deadline:
            return written, after
