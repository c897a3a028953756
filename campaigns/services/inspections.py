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

from vehicles.models import Vehicle
from vehicles.selectors import current_owner_id_subquery
from vouchers.validity import add_months, local_date

from ..messages import date_text
from ..models import Notification
from .notify import Draft, notifications_bulk_queue
from .offers import OfferTarget, reminder_offers_attach
from .reminders import _members

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


def inspection_reminders(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """Vehicles with a current owner and a delivery date at least ~5 years ago, in id order;
    cursor: the last vehicle id done."""
    today = local_date(now)
    old_enough = add_months(today, 2 - 12 * FIRST_INSPECTION_YEARS)  # the first due month, minus the lead
    batch = settings.JOBS_BATCH_SIZE
    written = 0
    after = cursor or 0
    while True:
        vehicles = list(
            Vehicle.objects.filter(pk__gt=after, delivery_date__isnull=False, delivery_date__lte=old_enough)
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
        # Reminded already (an earlier night, most of them): left out before anything is built.
        sent = set(
            Notification.objects.filter(
                dedup_key__in=[f"inspection:{row[0]}:{row[4].isoformat()}" for row in due_now]
            ).values_list("dedup_key", flat=True)
        )
        due_now = [row for row in due_now if f"inspection:{row[0]}:{row[4].isoformat()}" not in sent]
        members = _members(row[3] for row in due_now)
        targets = [
            OfferTarget(
                Draft(
                    member=members[owner_id],
                    purpose=Notification.Purpose.INSPECTION_REMINDER,
                    template_key="inspection_reminder",
                    dedup_key=f"inspection:{pk}:{due.isoformat()}",
                    context={
                        "plate": plate,
                        "model": model_name,
                        "due_on": date_text(due, members[owner_id].language),
                        "due_month": f"{due.year}/{due.month:02d}",
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
