"""Nightly reminders: expiry stages, unused value, service due by time or mileage."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Notification
from campaigns.services.reminders import (
    expiry_reminders,
    km_per_day,
    service_due,
    service_reminders,
    service_stage,
    unused_value_reminders,
)
from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vehicles.models import MileageReading, Visit
from vouchers.models import VoucherDefinition

TPE = ZoneInfo("Asia/Taipei")
pytestmark = pytest.mark.django_db
ISSUED = datetime(2026, 1, 1, 10, 0, tzinfo=TPE)


def at(day: date, hour=2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TPE)


def keys(purpose):
    return sorted(Notification.objects.filter(purpose=purpose).values_list("dedup_key", flat=True))


def test_expiry_reminders_at_each_stage_once():
    member = MemberFactory()
    definition = DefinitionFactory(validity_days=60, reminder_days="30,7,1")
    voucher = issue_voucher(definition, member=member, vehicle=OwnedVehicleFactory(owner=member), now=ISSUED)
    until = voucher.valid_until.astimezone(TPE).date()  # 2 March
    assert expiry_reminders(now=at(until - timedelta(days=31)))[0] == 0
    for days_before in (30, 29, 7, 2, 1, 0):
        expiry_reminders(now=at(until - timedelta(days=days_before)))
    iso = until.isoformat()
    assert keys("expiry_reminder") == sorted(
        [f"expiry:{member.pk}:{iso}:30", f"expiry:{member.pk}:{iso}:7", f"expiry:{member.pk}:{iso}:1"]
    )
    notification = Notification.objects.get(dedup_key=f"expiry:{member.pk}:{iso}:7")
    assert definition.title in notification.body and "7" in notification.body


def test_one_message_for_several_vouchers_expiring_the_same_day():
    member = MemberFactory()
    car = OwnedVehicleFactory(owner=member)
    wash = DefinitionFactory(name="洗車", validity_days=10, reminder_days="7")
    wax = DefinitionFactory(name="打蠟", validity_days=10, reminder_days="7")
    until = issue_voucher(wash, vehicle=car, now=ISSUED).valid_until.astimezone(TPE).date()
    issue_voucher(wax, vehicle=car, now=ISSUED)
    expiry_reminders(now=at(until - timedelta(days=7)))
    notification = Notification.objects.get(purpose="expiry_reminder")
    assert notification.member == member  # vehicle-held vouchers are the current owner's concern
    assert "洗車" in notification.body and "打蠟" in notification.body


def test_per_definition_days_and_late_issue_skips_the_early_stage():
    member = MemberFactory()
    definition = DefinitionFactory(validity_days=20, reminder_days="14")
    voucher = issue_voucher(definition, vehicle=OwnedVehicleFactory(owner=member), now=ISSUED)
    until = voucher.valid_until.astimezone(TPE).date()
    expiry_reminders(now=at(until - timedelta(days=14)))
    assert keys("expiry_reminder") == [f"expiry:{member.pk}:{until.isoformat()}:14"]
    short = DefinitionFactory(
        validity_days=5, reminder_days="30,7"
    )  # never had 7 days left on issue? it had 5
    v2 = issue_voucher(short, vehicle=OwnedVehicleFactory(owner=member), now=ISSUED)
    expiry_reminders(now=at(v2.valid_until.astimezone(TPE).date() - timedelta(days=3)))
    assert len(keys("expiry_reminder")) == 1


def test_expiry_reminder_ignores_used_and_voided_vouchers_and_respects_consent():
    consenting, refusing = MemberFactory(), MemberFactory(consent_service=False)
    definition = DefinitionFactory(validity_days=10, reminder_days="7")
    for member in (consenting, refusing):
        issue_voucher(definition, member=member, vehicle=OwnedVehicleFactory(owner=member), now=ISSUED)
    used = issue_voucher(definition, vehicle=OwnedVehicleFactory(owner=consenting), now=ISSUED)
    redemption_redeem(
        voucher=used, vehicle=used.vehicle, dealer=DealerFactory(), idempotency_key="r1", now=ISSUED
    )
    expiry_reminders(now=at(date(2026, 1, 4)))
    rows = dict(Notification.objects.values_list("member_id", "status"))
    assert rows == {consenting.pk: "pending", refusing.pk: "skipped"}
    assert Notification.objects.get(member=consenting).body.count("「") == 1  # not the used one


def test_rerun_writes_nothing_new():
    member = MemberFactory()
    definition = DefinitionFactory(validity_days=10, reminder_days="7")
    issue_voucher(definition, vehicle=OwnedVehicleFactory(owner=member), now=ISSUED)
    assert expiry_reminders(now=at(date(2026, 1, 4)))[0] == 1
    assert expiry_reminders(now=at(date(2026, 1, 4), hour=3))[0] == 0
    assert Notification.objects.count() == 1


def test_unused_value_once_per_period():
    member = MemberFactory()
    paid = DefinitionFactory(
        kind=VoucherDefinition.Kind.PAID,
        validity_policy=VoucherDefinition.ValidityPolicy.NO_EXPIRY,
        validity_days=None,
        uses_per_voucher=4,
        face_value_twd=4000,
        holder_type=VoucherDefinition.HolderType.MEMBER,
    )
    issue_voucher(paid, member=member, now=ISSUED)
    fresh_member = MemberFactory()
    issue_voucher(paid, member=fresh_member, now=ISSUED + timedelta(days=150))
    later = ISSUED + timedelta(days=200)
    unused_value_reminders(now=later)
    unused_value_reminders(now=later + timedelta(days=1))
    notification = Notification.objects.get(purpose="unused_value")
    assert notification.member == member
    assert "4,000" in notification.body or "4000" in notification.body


def test_recently_used_voucher_is_not_unused():
    member = MemberFactory()
    car = OwnedVehicleFactory(owner=member)
    pack = DefinitionFactory(
        validity_policy=VoucherDefinition.ValidityPolicy.NO_EXPIRY, validity_days=None, uses_per_voucher=5
    )
    voucher = issue_voucher(pack, vehicle=car, now=ISSUED)
    redemption_redeem(
        voucher=voucher,
        vehicle=car,
        dealer=DealerFactory(),
        idempotency_key="u",
        now=ISSUED + timedelta(days=190),
    )
    assert unused_value_reminders(now=ISSUED + timedelta(days=200))[0] == 0


def test_km_per_day_from_readings_or_default(settings):
    settings.REMINDER_DEFAULT_KM_PER_DAY = 40
    d = date(2026, 1, 1)
    assert (
        km_per_day(
            first_at=d, first_km=1000, last_at=d + timedelta(days=100), last_km=6000, base_on=d, base_km=0
        )
        == 50
    )
    assert km_per_day(first_at=None, first_km=None, last_at=None, last_km=None, base_on=d, base_km=0) == 40


def test_service_due_whichever_comes_first():
    delivered = date(2025, 1, 1)
    # 20 km a day: 15,000 km takes 750 days, so 12 months comes first
    due, by_mileage, _ = service_due(
        base_on=delivered,
        base_km=0,
        interval_months=12,
        interval_km=15000,
        readings=(delivered, 0, date(2025, 5, 1), 2400),
    )
    assert (due, by_mileage) == (date(2026, 1, 1), False)
    # 100 km a day: 15,000 km in 150 days
    due, by_mileage, due_km = service_due(
        base_on=delivered,
        base_km=0,
        interval_months=12,
        interval_km=15000,
        readings=(delivered, 0, date(2025, 3, 1), 5900),
    )
    assert by_mileage and due_km == 15000 and date(2025, 5, 25) <= due <= date(2025, 6, 5)


def test_service_stage_windows(settings):
    settings.REMINDER_SERVICE_OFFSETS = [-30, -7, 14]
    settings.REMINDER_SERVICE_WINDOW_DAYS = 7
    due = date(2026, 6, 30)
    assert service_stage(due, date(2026, 5, 30)) is None
    assert service_stage(due, date(2026, 5, 31)) == -30
    assert service_stage(due, date(2026, 6, 10)) is None  # -30 window over, -7 not yet
    assert service_stage(due, date(2026, 6, 23)) == -7
    assert service_stage(due, date(2026, 7, 14)) == 14
    assert service_stage(due, date(2026, 7, 30)) is None


def test_service_reminder_by_mileage_from_the_readings():
    member = MemberFactory()
    car = OwnedVehicleFactory(owner=member, delivery_date=date(2025, 1, 1), model__service_interval_km=10000)
    for day, km in ((date(2025, 1, 1), 0), (date(2025, 4, 11), 8000)):  # 80 km a day
        MileageReading.objects.create(vehicle=car, km=km, recorded_at=at(day, 12))
    # due at 10,000 km, about 25 days after the last reading (5 May); -7 stage from 28 April
    service_reminders(now=at(date(2025, 4, 29)))
    notification = Notification.objects.get(purpose="service_reminder")
    assert notification.dedup_key == f"service:{car.pk}:2025-01-01:-7"
    assert car.plate in notification.body and "10000" in notification.body
    assert service_reminders(now=at(date(2025, 4, 30)))[0] == 0


def test_service_reminder_by_time_and_a_new_cycle_after_maintenance():
    member = MemberFactory()
    car = OwnedVehicleFactory(owner=member, delivery_date=date(2025, 1, 1))
    service_reminders(now=at(date(2025, 12, 25)))  # due 1 Jan 2026 by time: the -7 stage
    assert keys("service_reminder") == [f"service:{car.pk}:2025-01-01:-7"]
    maintenance = DefinitionFactory(category=VoucherDefinition.Category.MAINTENANCE, validity_days=400)
    voucher = issue_voucher(maintenance, vehicle=car, now=at(date(2025, 12, 1)))
    redemption_redeem(
        voucher=voucher,
        vehicle=car,
        dealer=DealerFactory(),
        idempotency_key="m",
        mileage_km=9000,
        now=at(date(2026, 1, 5), 10),
    )
    service_reminders(now=at(date(2026, 1, 10)))  # just serviced: nothing due
    assert len(keys("service_reminder")) == 1
    service_reminders(now=at(date(2026, 12, 29)))  # next cycle from the maintenance
    assert f"service:{car.pk}:2026-01-05:-7" in keys("service_reminder")


def test_service_reminders_resume_from_the_cursor(settings):
    settings.JOBS_BATCH_SIZE = 2
    cars = [OwnedVehicleFactory(delivery_date=date(2025, 1, 1)) for _ in range(5)]
    written, cursor = service_reminders(now=at(date(2025, 12, 25)), deadline=0)  # out of time at once
    assert (written, cursor) == (2, cars[1].pk)
    written, cursor = service_reminders(now=at(date(2025, 12, 25)), cursor=cursor)
    assert (written, cursor) == (3, None)


def test_service_reminder_counts_from_a_workshop_visit_long_after_delivery():
    """A car delivered years ago but serviced lately is still read (the database's pre-filter keeps
    vehicles whose last service, not only their delivery, is recent enough)."""
    member = MemberFactory()
    car = OwnedVehicleFactory(owner=member, delivery_date=date(2020, 1, 1))
    Visit.objects.create(
        vehicle=car,
        dealer=DealerFactory(),
        visited_on=date(2025, 1, 1),
        repair_order="RO-1",
        kind=Visit.Kind.MAINTENANCE,
        source=Visit.Source.choices[0][0],
    )
    service_reminders(now=at(date(2025, 12, 25)))  # due 1 Jan 2026 by time: the -7 stage
    assert keys("service_reminder") == [f"service:{car.pk}:2025-01-01:-7"]


def test_a_second_run_the_same_night_loads_no_member_and_renders_nothing():
    owners = [MemberFactory() for _ in range(3)]
    expiring = DefinitionFactory(validity_days=10, reminder_days="7")
    paid = DefinitionFactory(
        kind=VoucherDefinition.Kind.PAID,
        validity_policy=VoucherDefinition.ValidityPolicy.NO_EXPIRY,
        validity_days=None,
        holder_type=VoucherDefinition.HolderType.MEMBER,
    )
    night = at(date(2026, 1, 4))
    for owner in owners:
        car = OwnedVehicleFactory(owner=owner, delivery_date=date(2025, 1, 8))  # service due 8 Jan
        issue_voucher(expiring, vehicle=car, now=ISSUED)
        issue_voucher(paid, member=owner, now=night - timedelta(days=200))
    steps = (expiry_reminders, unused_value_reminders, service_reminders)
    assert [step(now=night)[0] for step in steps] == [3, 3, 3]
    with CaptureQueriesContext(connection) as again:
        assert [step(now=night + timedelta(hours=1))[0] for step in steps] == [0, 0, 0]
    assert Notification.objects.count() == 9
    read = [q["sql"] for q in again.captured_queries]
    assert not [sql for sql in read if 'FROM "members_member"' in sql]
    assert not [sql for sql in read if "campaigns_messagetemplate" in sql]
    # expiry: definitions, titles, sent keys, candidates; unused: sent keys, candidates; service:
    # models, one batch (vehicles, readings, services, visits, sent keys), the empty next batch
    assert len(read) <= 13
