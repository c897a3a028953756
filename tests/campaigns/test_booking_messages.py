"""The owner is told of the dealer's answer to a booking request through the outbox (after commit,
once per change, consent and quiet hours applied); service reminders link to the booking form."""

from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from bookings.models import BookingEvent, Slot
from bookings.services import (
    booking_accept,
    booking_cancel,
    booking_confirm,
    booking_decline,
    booking_propose,
)
from campaigns.models import Notification
from campaigns.services.bookings import booking_owner_notify
from campaigns.services.reminders import service_reminders
from members.actors import Actor
from tests.factories import DealerFactory, DealerStaffFactory, MemberFactory, OwnedVehicleFactory
from tests.factories.bookings import booking as make_booking

pytestmark = pytest.mark.django_db(transaction=True)
Purpose = Notification.Purpose


@pytest.fixture
def parties(db):
    dealer = DealerFactory(name="台北內湖服務廠", phone="02-2799-0000")
    advisor = DealerStaffFactory(dealer=dealer).user
    owner = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=owner)
    return dealer, Actor.advisor(advisor), owner, car


def _messages():
    return list(Notification.objects.filter(purpose=Purpose.BOOKING).order_by("pk"))


def test_confirm_propose_decline_and_accept_each_tell_the_owner_once(parties, q_sync, no_quiet_hours):
    dealer, actor, owner, car = parties
    first = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=3)
    assert _messages() == []  # the owner's own request: nothing to tell them
    booking_confirm(booking=first, dealer=dealer, actor=actor, note="請帶保養手冊")
    second = make_booking(member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer, days_ahead=3)
    day = timezone.localdate() + timedelta(days=5)
    booking_propose(booking=second, dealer=dealer, day=day, slot=Slot.AFTERNOON, actor=actor)
    booking_accept(booking=second, member=owner)
    third = make_booking(member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer)
    booking_decline(booking=third, dealer=dealer, reason="零件缺貨", actor=actor)
    booking_cancel(booking=first, member=owner)  # the owner's own cancellation: no message

    sent = _messages()
    assert [m.template_key for m in sent] == [
        "booking_confirmed",
        "booking_proposed",
        "booking_confirmed",
        "booking_declined",
    ]
    assert all(m.member == owner and m.recipient == owner.phone and m.status == "sent" for m in sent)
    confirmed, proposed, accepted, declined = sent
    assert (
        "台北內湖服務廠" in confirmed.body
        and car.plate in confirmed.body
        and "請帶保養手冊" in confirmed.body
    )
    assert "上午" in confirmed.body and "02-2799-0000" in confirmed.body
    assert reverse("portal:bookings") in proposed.body and "下午" in proposed.body
    assert day.strftime("%Y/%m/%d") in proposed.body and day.strftime("%Y/%m/%d") in accepted.body
    assert "零件缺貨" in declined.body and reverse("portal:booking_new") in declined.body


def test_a_replayed_task_writes_no_second_message(parties, q_sync, no_quiet_hours):
    dealer, actor, owner, car = parties
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_confirm(booking=booking, dealer=dealer, actor=actor)
    event = BookingEvent.objects.get(action="confirmed")
    assert booking_owner_notify(event_id=event.pk) == _messages()[0]
    assert len(_messages()) == 1
    assert booking_owner_notify(event_id=987654) is None


def test_no_service_consent_means_the_message_is_skipped(parties, q_sync, no_quiet_hours):
    dealer, actor, owner, car = parties
    owner.consent_service = False
    owner.save()
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_confirm(booking=booking, dealer=dealer, actor=actor)
    (message,) = _messages()
    assert message.status == "skipped"


def test_an_answer_in_the_quiet_hours_waits_for_the_morning(parties, q_sync, settings):
    dealer, actor, owner, car = parties
    settings.NOTIFY_QUIET_HOURS = "00:00-23:59"
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_confirm(booking=booking, dealer=dealer, actor=actor)
    (message,) = _messages()
    assert message.status == "pending" and message.not_before > timezone.now()


def test_the_service_reminder_links_to_the_booking_form_for_the_car():
    tpe = ZoneInfo("Asia/Taipei")
    car = OwnedVehicleFactory(owner=MemberFactory(), delivery_date=date(2025, 1, 1))
    service_reminders(now=datetime(2025, 12, 25, 2, tzinfo=tpe))
    body = Notification.objects.get(purpose=Purpose.SERVICE_REMINDER).body
    url = next(word for word in body.split() if reverse("portal:booking_new") in word)
    query = parse_qs(urlsplit(url.rstrip("。")).query)
    assert query == {"vehicle": [str(car.pk)], "service": ["maintenance"]}
