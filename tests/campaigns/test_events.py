"""Event-triggered issuance: vehicle bound, vehicle delivered (referrals: tests/loyalty/test_referrals.py)."""

from datetime import date

import pytest

from campaigns.models import EventIssuance, Notification
from campaigns.tasks import vehicle_bound
from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    VehicleModelFactory,
)
from vehicles.services import (
    vehicle_authorise_driver,
    vehicle_mark_delivered,
    vehicle_register,
    vehicle_transfer_ownership,
)
from vouchers.models import Voucher, VoucherDefinition

pytestmark = pytest.mark.django_db(transaction=True)
Event = VoucherDefinition.TriggerEvent


def welcome(**kwargs):
    kwargs.setdefault("channel_event", True)
    return DefinitionFactory(trigger_event=Event.VEHICLE_BOUND, name="歡迎禮", **kwargs)


def test_binding_issues_the_welcome_voucher_after_commit_once_per_vehicle(q_sync):
    definition = welcome()
    owner = MemberFactory()
    car = vehicle_register(
        vin="WBA5R1C00LF000099", plate="XYZ-9999", model=VehicleModelFactory(), owner=owner
    )
    voucher = Voucher.objects.get(definition=definition)
    assert (voucher.vehicle, voucher.source) == (car, "event")
    assert Notification.objects.get(purpose="voucher_issued").member == owner
    vehicle_transfer_ownership(vehicle=car, new_owner=MemberFactory())  # per vehicle: not again
    assert Voucher.objects.filter(definition=definition).count() == 1


def test_once_per_member_gives_a_new_owner_their_own():
    definition = welcome(
        trigger_once_per=VoucherDefinition.TriggerOncePer.MEMBER,
        holder_type=VoucherDefinition.HolderType.MEMBER,
    )
    car = OwnedVehicleFactory()
    first = car.ownerships.get().member
    vehicle_bound(car.pk, first.pk)
    vehicle_bound(car.pk, first.pk)  # replayed task
    second = MemberFactory()
    vehicle_bound(car.pk, second.pk)
    assert sorted(Voucher.objects.filter(definition=definition).values_list("member_id", flat=True)) == [
        first.pk,
        second.pk,
    ]


def test_a_driver_is_not_a_new_owner(q_sync):
    definition = welcome()
    car = OwnedVehicleFactory()
    vehicle_authorise_driver(vehicle=car, member=MemberFactory())
    assert not Voucher.objects.filter(definition=definition).exists()


def test_unpublished_or_not_event_channel_definitions_are_not_issued():
    welcome(status=VoucherDefinition.Status.DRAFT)
    welcome(channel_event=False)
    car = OwnedVehicleFactory()
    assert vehicle_bound(car.pk, car.ownerships.get().member_id) == 0


def test_delivery_issues_the_delivery_gift(q_sync):
    gift = DefinitionFactory(trigger_event=Event.VEHICLE_DELIVERED, channel_event=True)
    car = VehicleFactory(delivery_date=None)
    vehicle_mark_delivered(vehicle=car, delivery_date=date(2026, 1, 5))
    vehicle_mark_delivered(vehicle=car, delivery_date=date(2026, 1, 6))  # a correction is not a delivery
    assert Voucher.objects.filter(definition=gift, vehicle=car).count() == 1


def test_refusal_recorded_once_and_not_retried_forever():
    welcome(stock_total=0)
    car = OwnedVehicleFactory()
    member_id = car.ownerships.get().member_id
    vehicle_bound(car.pk, member_id)
    vehicle_bound(car.pk, member_id)
    grant = EventIssuance.objects.get()
    assert grant.status == "refused" and grant.reason
    assert not Voucher.objects.exists()
