"""Lifecycle programmes: new-car care, birthday, purchase anniversary, win-back."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import EventIssuance, Notification, Programme
from campaigns.services.programmes import anniversaries, birthdays, new_car_care, win_back
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory
from vouchers.models import Voucher, VoucherDefinition

TPE = ZoneInfo("Asia/Taipei")
pytestmark = pytest.mark.django_db
Event = VoucherDefinition.TriggerEvent


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=TPE)


def event_definition(event, **kwargs):
    return DefinitionFactory(trigger_event=event, channel_event=True, validity_days=60, **kwargs)


def test_new_car_care_at_30_60_90_days_once_each(settings):
    settings.CAMPAIGNS_CATCH_UP_DAYS = 3
    car = OwnedVehicleFactory(delivery_date=date(2026, 1, 1))
    for offset in range(0, 100):
        new_car_care(now=at(date(2026, 1, 1) + timedelta(days=offset)))
    assert sorted(Notification.objects.values_list("dedup_key", flat=True)) == [
        f"care:{car.pk}:30",
        f"care:{car.pk}:60",
        f"care:{car.pk}:90",
    ]
    assert Notification.objects.filter(promotional=False).count() == 3  # care advice: service consent


def test_new_car_care_catches_up_a_missed_night(settings):
    settings.CAMPAIGNS_CATCH_UP_DAYS = 7
    car = OwnedVehicleFactory(delivery_date=date(2026, 1, 1))
    new_car_care(now=at(date(2026, 2, 3)))  # day 33: the job did not run on day 30
    assert Notification.objects.get().dedup_key == f"care:{car.pk}:30"


def test_birthday_voucher_once_a_year_with_a_greeting():
    gift = event_definition(Event.BIRTHDAY, holder_type=VoucherDefinition.HolderType.MEMBER, name="生日禮")
    member = MemberFactory(birthday=date(1980, 3, 10), consent_marketing=True)
    MemberFactory(birthday=date(1980, 3, 11))
    birthdays(now=at(date(2026, 3, 10)))
    birthdays(now=at(date(2026, 3, 11)))  # still in the catch-up window: nothing new
    voucher = Voucher.objects.get(definition=gift, member=member)
    assert voucher.source == "event"
    greeting = Notification.objects.get(member=member)
    assert greeting.promotional and "生日禮" in greeting.body and "opt-out" in greeting.body
    birthdays(now=at(date(2027, 3, 10)))
    assert Voucher.objects.filter(definition=gift, member=member).count() == 2


def test_leap_day_birthday_celebrated_on_28_february():
    member = MemberFactory(birthday=date(2000, 2, 29), consent_marketing=True)
    birthdays(now=at(date(2027, 2, 28)))
    assert Notification.objects.get().dedup_key == f"birthday:{member.pk}:2027"


def test_vehicle_held_birthday_gift_goes_on_the_members_car():
    event_definition(Event.BIRTHDAY)  # vehicle holder
    member = MemberFactory(birthday=date(1980, 3, 10))
    car = OwnedVehicleFactory(owner=member)
    birthdays(now=at(date(2026, 3, 10)))
    assert Voucher.objects.get().vehicle == car
    carless = MemberFactory(birthday=date(1990, 3, 10))
    birthdays(now=at(date(2026, 3, 10)))
    refused = EventIssuance.objects.get(member=carless)
    assert refused.status == "refused" and refused.reason


def test_purchase_anniversary_gift_each_year_not_in_the_first():
    gift = event_definition(Event.PURCHASE_ANNIVERSARY)
    car = OwnedVehicleFactory(delivery_date=date(2024, 5, 20), owner=MemberFactory(consent_marketing=True))
    fresh = OwnedVehicleFactory(delivery_date=date(2026, 5, 20))
    anniversaries(now=at(date(2026, 5, 20)))
    anniversaries(now=at(date(2026, 5, 21)))
    assert list(Voucher.objects.filter(definition=gift).values_list("vehicle_id", flat=True)) == [car.pk]
    note = Notification.objects.get()
    assert note.dedup_key == f"anniversary:{car.pk}:2026" and "2" in note.body
    assert not Notification.objects.filter(dedup_key__contains=f":{fresh.pk}:").exists()


def test_win_back_once_per_absence():
    gift = event_definition(Event.NO_VISIT)
    now = at(date(2026, 9, 1))
    lapsed = OwnedVehicleFactory(delivery_date=date(2024, 1, 1))
    lapsed.last_visit_at = now - timedelta(days=200)
    lapsed.save()
    recent = OwnedVehicleFactory(delivery_date=date(2024, 1, 1))
    recent.last_visit_at = now - timedelta(days=20)
    recent.save()
    win_back(now=now)
    win_back(now=now + timedelta(days=1))
    assert list(Voucher.objects.filter(definition=gift).values_list("vehicle_id", flat=True)) == [lapsed.pk]
    # came back, then lapsed again: a new invitation
    lapsed.last_visit_at = now + timedelta(days=10)
    lapsed.save()
    win_back(now=now + timedelta(days=200))
    assert Voucher.objects.filter(definition=gift, vehicle=lapsed).count() == 2


def test_inactive_programme_does_nothing():
    Programme.objects.filter(key="birthday").update(is_active=False)
    event_definition(Event.BIRTHDAY, holder_type=VoucherDefinition.HolderType.MEMBER)
    MemberFactory(birthday=date(1980, 3, 10))
    assert birthdays(now=at(date(2026, 3, 10))) == (0, None)
    assert not Voucher.objects.exists()


def test_message_only_when_vouchers_are_switched_off():
    Programme.objects.filter(key="birthday").update(issue_vouchers=False)
    event_definition(Event.BIRTHDAY, holder_type=VoucherDefinition.HolderType.MEMBER)
    MemberFactory(birthday=date(1980, 3, 10), consent_marketing=True)
    birthdays(now=at(date(2026, 3, 10)))
    assert not Voucher.objects.exists()
    assert Notification.objects.count() == 1


def _lapsed_cars(n: int, now: datetime) -> list:
    cars = []
    for _ in range(n):
        car = OwnedVehicleFactory(delivery_date=date(2024, 1, 1), owner=MemberFactory(consent_marketing=True))
        car.last_visit_at = now - timedelta(days=200)
        car.save()
        cars.append(car)
    return cars


def test_a_night_with_nothing_new_costs_a_few_queries_per_batch_not_per_holder(django_assert_max_num_queries):
    """Win-back looks at every lapsed car every night: those already invited must be passed over in
    bulk, not with a look-up per car and definition (the same for birthdays and anniversaries)."""
    event_definition(Event.NO_VISIT)
    event_definition(Event.BIRTHDAY, holder_type=VoucherDefinition.HolderType.MEMBER)
    now = at(date(2026, 9, 1))
    _lapsed_cars(25, now)
    for n in range(25):
        MemberFactory(birthday=date(1980, 9, 1), phone=f"+88693{n:07d}", consent_marketing=True)
    win_back(now=now)
    birthdays(now=now)
    assert Voucher.objects.count() == 50
    sent = Notification.objects.count()

    with django_assert_max_num_queries(16):  # per step: programme, definitions, batch, owners, 2 look-ups
        assert win_back(now=now + timedelta(days=1)) == (25, None)
        assert birthdays(now=now + timedelta(days=1)) == (25, None)

    assert Voucher.objects.count() == 50
    assert Notification.objects.count() == sent


def test_a_slice_that_runs_out_of_time_resumes_after_the_last_member_it_served():
    gift = event_definition(Event.BIRTHDAY, holder_type=VoucherDefinition.HolderType.MEMBER)
    members = [MemberFactory(birthday=date(1980, 9, 1)) for _ in range(3)]
    now = at(date(2026, 9, 1))

    done, cursor = birthdays(now=now, deadline=0)  # out of time at once: one member per slice

    assert (done, cursor) == (1, members[0].pk)
    while cursor is not None:
        _more, cursor = birthdays(now=now, cursor=cursor, deadline=0)
    assert sorted(Voucher.objects.filter(definition=gift).values_list("member_id", flat=True)) == [
        m.pk for m in members
    ]
