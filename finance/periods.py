"""Months in Asia/Taipei: a statement's month and the instants that bound it."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of the month as aware instants."""
    return local_midnight(month_start(month)), local_midnight(next_month(month_start(month)))


def parse_month(text: str) -> date:
    """'2026-11' → 2026-11-01; ValueError otherwise."""
    year, _sep, month = text.strip().partition("-")
    if not (len(year) == 4 and year.isdigit() and month.isdigit() and 1 <= int(month) <= 12):
        raise ValueError(text)
    value = date(int(year), int(month), 1)
    if value.year < 2000:
        raise ValueError(text)
    return value
