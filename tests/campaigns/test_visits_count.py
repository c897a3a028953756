"""Workshop visits from the DMS count as visits: service-due cycles, win-back, delivery events once."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import Notification
from campaigns.services.programmes import win_back
from campaigns.services.reminders import service_reminders
from campaigns.tasks import delivered_issue
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
)
from vehicles import signals
from vehicles.models import Vehicle, Visit
from vehicles.services import Origin, visit_record
from vouchers.models import Voucher, VoucherDefinition

TPE = ZoneInfo("Asia/Taipei")
Event = VoucherDefinition.TriggerEvent
FILE = Origin(source=Visit.Source.IMPORT, label="dms.csv")


def at(day: date, hour=2) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=TPE)


@pytest.mark.django_db
def test_a_maintenance_visit_without_a_voucher_starts_a_new_service_cycle():
    car = OwnedVehicleFactory(owner=MemberFactory(), delivery_date=date(2025, 1, 1))
    visit_record(
        vehicle=car,
        dealer=DealerFactory(),
        visited_on=date(2025, 12, 20),
        repair_order="RO-9",
        kind=Visit.Kind.MAINTENANCE,
        origin=FILE,
        now=at(date(2025, 12, 21)),
    )

    service_reminders(now=at(date(2025, 12, 25)))  # due 1 Jan 2026 by delivery, but just serviced

    assert not Notification.objects.filter(purpose="service_reminder").exists()


@pytest.mark.django_db
def test_a_wash_is_not_a_service():
    car = OwnedVehicleFactory(owner=MemberFactory(), delivery_date=date(2025, 1, 1))
    visit_record(
        vehicle=car,
        dealer=DealerFactory(),
        visited_on=date(2025, 12, 20),
        repair_order="RO-9",
        kind=Visit.Kind.WASH,
        origin=FILE,
        now=at(date(2025, 12, 21)),
    )

    service_reminders(now=at(date(2025, 12, 25)))

    assert Notification.objects.filter(purpose="service_reminder").count() == 1


@pytest.mark.django_db
def test_a_recent_workshop_visit_keeps_the_owner_out_of_win_back():
    gift = DefinitionFactory(trigger_event=Event.NO_VISIT, channel_event=True, validity_days=60)
    now = at(date(2026, 9, 1))
    car = OwnedVehicleFactory(delivery_date=date(2024, 1, 1))
    visit_record(
        vehicle=car,
        dealer=DealerFactory(),
        visited_on=date(2026, 8, 1),
        repair_order="RO-1",
        kind=Visit.Kind.REPAIR,
        origin=FILE,
        now=now,
    )

    win_back(now=now)

    assert not Voucher.objects.filter(definition=gift).exists()


@pytest.mark.django_db
def test_delivered_in_bulk_issues_once_per_vehicle_however_often_replayed():
    gift = DefinitionFactory(trigger_event=Event.VEHICLE_DELIVERED, channel_event=True)
    cars = [VehicleFactory(), VehicleFactory()]
    ids = [car.pk for car in cars]

    delivered_issue(ids)
    delivered_issue(ids)

    assert sorted(Voucher.objects.filter(definition=gift).values_list("vehicle_id", flat=True)) == ids


@pytest.mark.django_db(transaction=True)
def test_the_bulk_delivery_signal_queues_the_event_only_when_a_definition_asks(q_sync):
    cars = [VehicleFactory(), VehicleFactory()]
    signals.vehicles_delivered.send(Vehicle, vehicle_ids=[c.pk for c in cars], now=timezone.now())
    assert not Voucher.objects.exists()

    gift = DefinitionFactory(trigger_event=Event.VEHICLE_DELIVERED, channel_event=True)
    for _ in range(2):
        signals.vehicles_delivered.send(Vehicle, vehicle_ids=[c.pk for c in cars], now=timezone.now())

    assert Voucher.objects.filter(definition=gift).count() == 2
