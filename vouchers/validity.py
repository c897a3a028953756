"""When a voucher is valid, from its definition's validity policy. Pure functions of dates.

A validity window is [valid_from, valid_until], both inclusive instants; a date-based end means the
end of that day in Asia/Taipei, so an owner's "valid until 31 Dec" holds until 23:59:59 local time.
"""

import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from .models import VoucherDefinition

Policy = VoucherDefinition.ValidityPolicy

# The definition fields each validity policy reads; under another policy they mean nothing (the
# wizard shows, validates and keeps only the chosen policy's).
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    Policy.FIXED: ("valid_from_date", "valid_until_date"),
    Policy.DAYS_FROM_ISSUE: ("validity_days",),
    Policy.DAYS_FROM_ACTIVATION: ("validity_days",),
    Policy.DELIVERY_WINDOW: (
        "delivery_offset_months",
        "delivery_window_months",
        "series_count",
        "series_step_months",
    ),
    Policy.NO_EXPIRY: (),
}
VALIDITY_FIELDS: tuple[str, ...] = tuple(dict.fromkeys(f for names in POLICY_FIELDS.values() for f in names))


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def start_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max), timezone.get_default_timezone())


def local_date(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


class MissingDeliveryDate(ValueError):
    pass


def validity_window(
    definition: VoucherDefinition,
    *,
    issued_at: datetime,
    activated_at: datetime | None,
    delivery_date: date | None,
    series_index: int = 0,
) -> tuple[datetime | None, datetime | None]:
    """(valid_from, valid_until) for one voucher; (None, None) while an activation-based window waits."""
    policy = definition.validity_policy
    if policy == Policy.FIXED:
        valid_from = start_of_day(definition.valid_from_date) if definition.valid_from_date else issued_at
        valid_until = end_of_day(definition.valid_until_date) if definition.valid_until_date else None
        return valid_from, valid_until
    if policy == Policy.DAYS_FROM_ISSUE:
        return issued_at, end_of_day(local_date(issued_at) + timedelta(days=definition.validity_days or 0))
    if policy == Policy.DAYS_FROM_ACTIVATION:
        if activated_at is None:
            return None, None
        return activated_at, end_of_day(
            local_date(activated_at) + timedelta(days=definition.validity_days or 0)
        )
    if policy == Policy.DELIVERY_WINDOW:
        if delivery_date is None:
            raise MissingDeliveryDate()
        months = definition.delivery_offset_months + series_index * definition.series_step_months
        first = add_months(delivery_date, months)
        # Counted from the delivery date, not from `first`: a start clamped to a shorter month
        # (29 Feb, 31 Aug) would otherwise end its window early and leave days no voucher covers.
        last = add_months(delivery_date, months + definition.delivery_window_months) - timedelta(days=1)
        return start_of_day(first), end_of_day(last)
    return issued_at, None  # no expiry
