"""Periodic inspection (年檢) reminders: the schedule by the car's age, and once per due date."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigns.jobs import JOB_STEPS
from campaigns.models import Notification
from campaigns.services.inspections import (
    delivery_ranges_due_soon,
    inspection_due_dates,
    inspection_due_now,
    inspection_reminders,
)
from tests.factories import MemberFactory, OwnedVehicleFactory, VehicleFactory
from vouchers.validity import add_months

TPE = ZoneInfo("Asia/Taipei")
TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 1, 30, tzinfo=TPE)


def aged(years: int, months: int = 0) -> date:
    """The delivery date of a car exactly this old today."""
    return add_months(TODAY, -(12 * years + months))


def test_no_inspection_in_the_first_five_years_then_yearly_then_twice_a_year_after_ten():
    delivered = date(2010, 3, 10)
    dues = inspection_due_dates(delivered, until=date(2022, 12, 31))
    assert dues == [
        date(2015, 3, 10),
        date(2016, 3, 10),
        date(2017, 3, 10),
        date(2018, 3, 10),
        date(2019, 3, 10),
        date(2020, 3, 10),  # ten years: the last yearly one
        date(2020, 9, 10),  # from then on every six months
        date(2021, 3, 10),
        date(2021, 9, 10),
        date(2022, 3, 10),
        date(2022, 9, 10),
    ]


@pytest.mark.parametrize(
    ("years", "months", "expected"),
    [
        (4, 10, None),  # the five-year inspection is in August: too early to remind
        (4, 11, (5, 0)),  # due next month (July): reminded ahead of the due month
        (5, 0, (5, 0)),  # due this month
        (5, 6, None),  # between five and ten years: yearly only, nothing at the half year
        (9, 6, None),
        (10, 0, (10, 0)),  # the ten-year inspection
        (10, 6, (10, 6)),  # after ten years: every six months
        (10, 3, None),
    ],
)
def test_schedule_boundaries(years, months, expected):
    delivered = aged(years, months)
    due = inspection_due_now(delivered, TODAY)
    assert due == (None if expected is None else add_months(delivered, 12 * expected[0] + expected[1]))


def test_a_due_date_whose_month_is_over_is_no_longer_reminded():
    delivered = date(2021, 5, 20)  # five years on 20 May 2026; today is 15 June
    assert inspection_due_now(delivered, TODAY) is None
    assert inspection_due_now(delivered, date(2026, 5, 31)) == date(2026, 5, 20)


@pytest.mark.django_db
def test_the_nightly_step_reminds_the_owner_once_per_due_date():
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member, delivery_date=aged(4, 11))
    OwnedVehicleFactory(delivery_date=aged(3))  # too young
    VehicleFactory(delivery_date=aged(6))  # due (6 years), but nobody owns it
    written, cursor = inspection_reminders(now=NOW)
    assert (written, cursor) == (1, None)
    due = add_months(car.delivery_date, 60)
    note = Notification.objects.get(purpose=Notification.Purpose.INSPECTION_REMINDER)
    assert note.member == member and note.dedup_key == f"inspection:{car.pk}:{due.isoformat()}"
    assert car.plate in note.body and "定期檢驗" in note.body
    # The owner books the check before the inspection straight from the message.
    assert f"/portal/bookings/new/?vehicle={car.pk}&service=maintenance" in note.body
    # The next nights (and a re-run after a crash) write nothing new for the same due date.
    assert inspection_reminders(now=NOW)[0] == 0
    assert inspection_reminders(now=datetime(2026, 7, 1, 1, 30, tzinfo=TPE))[0] == 0
    assert Notification.objects.filter(purpose=Notification.Purpose.INSPECTION_REMINDER).count() == 1


@pytest.mark.django_db
def test_no_consent_to_service_reminders_is_respected():
    member = MemberFactory(consent_service=False)
    OwnedVehicleFactory(owner=member, delivery_date=aged(5))
    inspection_reminders(now=NOW)
    note = Notification.objects.get(purpose=Notification.Purpose.INSPECTION_REMINDER)
    assert note.status == Notification.Status.SKIPPED and note.skip_reason


@pytest.mark.django_db
def test_written_at_night_it_goes_out_when_quiet_hours_end(settings):
    settings.NOTIFY_QUIET_HOURS = "21:00-09:00"
    OwnedVehicleFactory(owner=MemberFactory(consent_service=True), delivery_date=aged(5))
    inspection_reminders(now=NOW)
    note = Notification.objects.get(purpose=Notification.Purpose.INSPECTION_REMINDER)
    assert note.not_before == datetime(2026, 6, 15, 9, 0, tzinfo=TPE)


def test_the_step_runs_in_the_nightly_reminders_job():
    assert "inspection" in [step.name for step in JOB_STEPS["send_reminders"]]


@pytest.mark.parametrize(
    "today",
    # Month ends and starts (the lead reaches two months ahead from 31 January), mid-month, leap day.
    [date(2026, 1, 31), date(2026, 6, 15), date(2028, 2, 29)],
)
def test_the_cars_read_for_a_night_include_every_car_due_then_and_no_other_delivery_month(today):
    oldest = date(2010, 1, 1)  # yearly, then twice a year
    ranges = delivery_ranges_due_soon(today, oldest=oldest)
    delivered, read, due = oldest, 0, 0
    while delivered <= today:
        inside = any(start <= delivered < end for start, end in ranges)
        if inspection_due_now(delivered, today) is not None:
            due += 1
            assert inside, delivered
        read += inside
        delivered += timedelta(days=1)
    assert due and read < 3 * due  # what is read is due but for the lead's neighbouring days


@pytest.mark.django_db
def test_the_oldest_car_is_read_too():
    member = MemberFactory(consent_service=True)
    old = OwnedVehicleFactory(owner=member, delivery_date=aged(40))  # twice a year, 40 years on
    OwnedVehicleFactory(owner=member, delivery_date=aged(40, 3))  # between its inspections
    assert inspection_reminders(now=NOW)[0] == 1
    assert (
        Notification.objects.get().dedup_key
        == f"inspection:{old.pk}:{add_months(old.delivery_date, 480).isoformat()}"
    )


@pytest.mark.django_db
def test_a_second_run_the_same_night_loads_no_member_and_renders_nothing(django_assert_max_num_queries):
    for years in (5, 6, 10):
        OwnedVehicleFactory(owner=MemberFactory(consent_service=True), delivery_date=aged(years))
    assert inspection_reminders(now=NOW)[0] == 3
    # The oldest delivery date, the keys written, one batch of cars and the empty next one.
    with django_assert_max_num_queries(4):
        assert inspection_reminders(now=NOW) == (0, None)
