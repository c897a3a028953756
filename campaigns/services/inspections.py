"""Periodic inspection (年檢) reminders, a nightly step beside the service reminders.

Taiwan inspects a private car by its age from the first registration (here: the delivery date):
none in the first five years, then once a year on the anniversary, then twice a year (anniversary
and six months later) once it is more than ten years old. The owner is reminded once per due
date, from INSPECTION_REMIND_DAYS before the due month starts until the due month ends; the
outbox's unique de-duplication key `inspection:<vehicle>:<due date>` is the once-only constraint.
"""

import calendar
import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Min, Q

from bookings.links import booking_new_url
from vehicles.models import Vehicle
from vehicles.selectors import current_owner_id_subquery
from vouchers.models import VoucherDefinition
from vouchers.validity import add_months, local_date, start_of_day

from ..messages import date_text
from ..models import Notification
from .notify import Draft, notifications_bulk_queue
from .offers import OfferTarget, reminder_offers_attach
from .reminders import _keys_written, _members

INSPECTION_REMIND_DAYS = 30
FIRST_INSPECTION_YEARS = 5
TWICE_A_YEAR_AFTER_YEARS = 10


def inspection_due_dates(delivered: date, *, until: date) -> list[date]:
    """Every inspection due date of a car delivered on `delivered`, up to `until`, in order."""
    due = []
    months = 12 * FIRST_INSPECTION_YEARS
    while (day := add_months(delivered, months)) <= until:
        due.append(day)
        months += 6 if months >= 12 * TWICE_A_YEAR_AFTER_YEARS else 12
    return due


def _month_bounds(day: date) -> tuple[date, date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def inspection_due_now(delivered: date, today: date) -> date | None:
    """The due date the owner should be reminded of today, if any (its month not yet over, and
    at most INSPECTION_REMIND_DAYS before that month starts)."""
    horizon = today + timedelta(days=INSPECTION_REMIND_DAYS + 31)
    for due in inspection_due_dates(delivered, until=horizon):
        first, last = _month_bounds(due)
        if last < today:
            continue
        return due if today >= first - timedelta(days=INSPECTION_REMIND_DAYS) else None
    return None


def _key(vehicle_id: int, due: date) -> str:
    return f"inspection:{vehicle_id}:{due.isoformat()}"


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def delivery_ranges_due_soon(today: date, *, oldest: date) -> list[tuple[date, date]]:
    """[start, end) delivery-date ranges of the cars that can have an inspection to remind of
    today (a superset: `inspection_due_now` decides), for cars delivered on `oldest` or later.

    A due date is reminded in its month and from INSPECTION_REMIND_DAYS before that month starts,
    so its month is this one or one starting within that lead; the car's delivery month is that
    month minus an inspection age in months (60, 72, … 120, 126, 132, …).
    """
    this_month = _month_index(today)
    due_months = [
        m
        for m in range(this_month, this_month + 3)
        if _month_start(m) <= today + timedelta(days=INSPECTION_REMIND_DAYS)
    ]
    months = set()
    for due_month in due_months:
        age = 12 * FIRST_INSPECTION_YEARS
        while due_month - age >= _month_index(oldest):
            months.add(due_month - age)
            age += 6 if age >= 12 * TWICE_A_YEAR_AFTER_YEARS else 12
    ranges: list[list[int]] = []  # [first month, last month], adjacent months merged
    for month in sorted(months):
        if ranges and ranges[-1][1] == month - 1:
            ranges[-1][1] = month
        else:
            ranges.append([month, month])
    return [(_month_start(first), _month_start(last + 1)) for first, last in ranges]


def _due_soon(today: date) -> Q:
    """The cars `delivery_ranges_due_soon` names, read on the delivery date's index: most of the
    fleet has no inspection near and is neither read nor computed."""
    oldest = Vehicle.objects.aggregate(oldest=Min("delivery_date"))["oldest"]
    wanted = Q(pk__in=[])
    for start, end in delivery_ranges_due_soon(today, oldest=oldest) if oldest else []:
        wanted |= Q(delivery_date__gte=start, delivery_date__lt=end)
    return wanted


def inspection_reminders(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """Vehicles with a current owner and an inspection near (`_due_soon`), in id order; cursor: the
    last vehicle id done."""
    today = local_date(now)
    batch = settings.JOBS_BATCH_SIZE
    written = 0
    after = cursor or 0
    due_soon = _due_soon(today)
    # Reminded already (this night or an earlier one), read once before any member is loaded or
    # any message rendered, so a second run the same night does no more. A due date reminded of
    # today has its month starting at most INSPECTION_REMIND_DAYS from now and not yet over, so its
    # key was written at most that lead plus a month ago.
    sent = _keys_written(
        Notification.Purpose.INSPECTION_REMINDER,
        start_of_day(today - timedelta(days=INSPECTION_REMIND_DAYS + 32)),
    )
    while True:
        vehicles = list(
            Vehicle.objects.filter(due_soon, pk__gt=after)
            .annotate(owner_id=current_owner_id_subquery("pk"))
            .order_by("pk")
            .values_list("pk", "plate", "delivery_date", "model__name", "owner_id", "model_id")[:batch]
        )
        if not vehicles:
            return written, None
        due_now = [
            (pk, plate, model_name, owner_id, due, model_id)
            for pk, plate, delivered, model_name, owner_id, model_id in vehicles
            if owner_id is not None and (due := inspection_due_now(delivered, today)) is not None
        ]
        due_now = [row for row in due_now if _key(row[0], row[4]) not in sent]
        members = _members(row[3] for row in due_now)
        targets = [
            OfferTarget(
                Draft(
                    member=members[owner_id],
                    purpose=Notification.Purpose.INSPECTION_REMINDER,
                    template_key="inspection_reminder",
                    dedup_key=_key(pk, due),
                    context={
                        "plate": plate,
                        "model": model_name,
                        "due_on": date_text(due, members[owner_id].language),
                        "due_month": f"{due.year}/{due.month:02d}",
                        # The booking form for this car: a check before the inspection.
                        "booking_url": booking_new_url(
                            vehicle_id=pk, service=VoucherDefinition.Category.MAINTENANCE
                        ),
                    },
                ),
                vehicle_id=pk,
                model_id=model_id,
            )
            for pk, plate, model_name, owner_id, due, model_id in due_now
            if owner_id in members
        ]
        reminder_offers_attach(reminder=Notification.Purpose.INSPECTION_REMINDER, targets=targets, now=now)
        drafts = [t.draft for t in targets]
        written += notifications_bulk_queue(drafts, now=now) if drafts else 0
        after = vehicles[-1][0]
        if deadline is not None and time.monotonic() > deadline:
            return written, after
