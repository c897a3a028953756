"""The booking services: each transition, its history entry, and every refusal (nothing changes)."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from bookings.exceptions import (
    BookingAlreadyOpen,
    BookingDateOutOfRange,
    BookingDatePassed,
    BookingDealerUnavailable,
    BookingNoteTooLong,
    BookingNotFound,
    BookingProposalSameTime,
    BookingReasonRequired,
    BookingServiceInvalid,
    BookingSlotInvalid,
    BookingStateChanged,
    BookingVehicleNotYours,
)
from bookings.models import BookingEvent, BookingRequest, Slot
from bookings.rules import HORIZON_DAYS
from bookings.services import (
    booking_accept,
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_decline,
    booking_propose,
)
from members.actors import Actor
from tests.factories import MemberFactory, OwnedVehicleFactory
from tests.factories.bookings import booking as make_booking
from vehicles.services import vehicle_authorise_driver

pytestmark = pytest.mark.django_db
Status = BookingRequest.Status


def _create(owner, car, dealer, day, **overrides):
    fields = {
        "member": owner,
        "vehicle": car,
        "dealer": dealer,
        "day": day,
        "slot": Slot.MORNING,
        "service": BookingRequest.Service.MAINTENANCE,
        "note": "",
        "idempotency_key": "portal:key-1",
        **overrides,
    }
    return booking_create(**fields)


def _actions(booking):
    return list(booking.events.order_by("pk").values_list("action", "status_after"))


def test_an_owner_asks_for_a_slot(owner, car, dealer, in_days):
    booking = _create(owner, car, dealer, in_days(3), note="  順便檢查冷氣  ")
    assert booking.status == Status.REQUESTED
    assert (booking.requested_on, booking.requested_slot) == (in_days(3), Slot.MORNING)
    assert booking.note == "順便檢查冷氣"
    assert booking.offered_on is None
    event = booking.events.get()
    assert (event.action, event.actor_label, event.day) == ("requested", f"owner:{owner.pk}", in_days(3))


def test_a_replayed_request_returns_the_first(owner, car, dealer, in_days):
    first = _create(owner, car, dealer, in_days(3))
    again = _create(owner, car, dealer, in_days(5), slot=Slot.AFTERNOON)
    assert again.pk == first.pk
    assert BookingRequest.objects.count() == 1
    assert BookingEvent.objects.count() == 1


def test_another_members_key_is_not_theirs(owner, car, dealer, in_days):
    _create(owner, car, dealer, in_days(3))
    stranger = MemberFactory()
    with pytest.raises(BookingNotFound):
        _create(stranger, OwnedVehicleFactory(owner=stranger), dealer, in_days(3))


def test_an_authorised_driver_may_ask_too(owner, car, dealer, in_days):
    driver = MemberFactory()
    vehicle_authorise_driver(vehicle=car, member=driver, now=timezone.now())
    assert _create(driver, car, dealer, in_days(2)).member == driver


@pytest.mark.parametrize(
    ("days", "ok"), [(-1, False), (0, False), (1, True), (HORIZON_DAYS, True), (HORIZON_DAYS + 1, False)]
)
def test_the_owners_window_is_tomorrow_to_the_horizon(owner, car, dealer, in_days, days, ok):
    if ok:
        assert _create(owner, car, dealer, in_days(days)).requested_on == in_days(days)
    else:
        with pytest.raises(BookingDateOutOfRange) as caught:
            _create(owner, car, dealer, in_days(days))
        assert in_days(1).isoformat() in caught.value.message
        assert not BookingRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"slot": "evening"}, BookingSlotInvalid),
        ({"service": "teleport"}, BookingServiceInvalid),
        ({"note": "x" * 501}, BookingNoteTooLong),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(owner, car, dealer, in_days, overrides, error):
    with pytest.raises(error):
        _create(owner, car, dealer, in_days(3), **overrides)
    assert not BookingRequest.objects.exists()


def test_a_car_of_someone_else_is_refused(owner, dealer, in_days):
    with pytest.raises(BookingVehicleNotYours):
        _create(owner, OwnedVehicleFactory(), dealer, in_days(3))
    assert not BookingRequest.objects.exists()


def test_an_inactive_dealer_takes_no_request(owner, car, dealer, in_days):
    dealer.is_active = False
    dealer.save()
    with pytest.raises(BookingDealerUnavailable):
        _create(owner, car, dealer, in_days(3))


def test_one_open_request_per_car_and_dealer(owner, car, dealer, other_dealer, in_days):
    first = _create(owner, car, dealer, in_days(3))
    with pytest.raises(BookingAlreadyOpen):
        _create(owner, car, dealer, in_days(9), idempotency_key="portal:key-2")
    # Another dealer, or the same dealer once the first is answered, is fine.
    _create(owner, car, other_dealer, in_days(3), idempotency_key="portal:key-3")
    booking_confirm(booking=first, dealer=dealer, actor=Actor.system("test"))
    assert _create(owner, car, dealer, in_days(20), idempotency_key="portal:key-4").status == Status.REQUESTED


def test_the_database_holds_one_open_request_per_car_and_dealer(owner, car, dealer, in_days):
    first = _create(owner, car, dealer, in_days(3))
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingRequest.objects.create(
            member=owner,
            vehicle=car,
            dealer=dealer,
            service="wash",
            requested_on=in_days(4),
            requested_slot=Slot.MORNING,
            created_at=first.created_at,
            updated_at=first.created_at,
            idempotency_key="raw",
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "lost"},
        {"requested_slot": "night"},
        {"status": "confirmed"},  # confirmed without a time
        {"status": "requested", "offered_on": "2030-01-01", "offered_slot": "morning"},
    ],
)
def test_the_database_refuses_inconsistent_rows(owner, car, dealer, in_days, fields):
    booking = _create(owner, car, dealer, in_days(3))
    with pytest.raises(IntegrityError), transaction.atomic():
        BookingRequest.objects.filter(pk=booking.pk).update(**fields)


# --- the dealer's answers ---------------------------------------------------------------------------


def test_the_dealer_confirms_the_time_asked_for(owner, car, dealer, advisor, in_days):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=4, slot=Slot.AFTERNOON)
    confirmed = booking_confirm(
        booking=booking, dealer=dealer, actor=Actor.advisor(advisor), note="請帶保養手冊"
    )
    assert confirmed.status == Status.CONFIRMED
    assert (confirmed.offered_on, confirmed.offered_slot) == (in_days(4), Slot.AFTERNOON)
    assert confirmed.dealer_note == "請帶保養手冊"
    event = confirmed.events.order_by("pk").last()
    assert (event.action, event.user_id, event.actor_label) == (
        "confirmed",
        advisor.pk,
        f"advisor:{advisor.username}",
    )


def test_the_dealer_proposes_another_time_and_may_revise_it(owner, car, dealer, advisor, in_days, today):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=4)
    actor = Actor.advisor(advisor)
    proposed = booking_propose(
        booking=booking, dealer=dealer, day=in_days(5), slot=Slot.AFTERNOON, actor=actor
    )
    assert (proposed.status, proposed.offered_on, proposed.offered_slot) == (
        Status.PROPOSED,
        in_days(5),
        "afternoon",
    )
    # The dealer may offer today (the owner may not ask for it).
    again = booking_propose(booking=booking, dealer=dealer, day=today, slot=Slot.AFTERNOON, actor=actor)
    assert again.offered_on == today
    assert [a for a, _s in _actions(again)] == ["requested", "proposed", "proposed"]


def test_the_dealer_declines_with_a_reason(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    declined = booking_decline(
        booking=booking, dealer=dealer, reason="零件缺貨", actor=Actor.advisor(advisor)
    )
    assert (declined.status, declined.dealer_note) == (Status.DECLINED, "零件缺貨")


def test_a_decline_needs_a_reason(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    with pytest.raises(BookingReasonRequired):
        booking_decline(booking=booking, dealer=dealer, reason="   ", actor=Actor.advisor(advisor))
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED


@pytest.mark.parametrize("call", ["confirm", "propose", "decline"])
def test_another_dealers_request_is_not_found(owner, car, dealer, other_dealer, other_advisor, in_days, call):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    actor = Actor.advisor(other_advisor)
    with pytest.raises(BookingNotFound):
        if call == "confirm":
            booking_confirm(booking=booking, dealer=other_dealer, actor=actor)
        elif call == "propose":
            booking_propose(
                booking=booking, dealer=other_dealer, day=in_days(6), slot=Slot.MORNING, actor=actor
            )
        else:
            booking_decline(booking=booking, dealer=other_dealer, reason="no", actor=actor)
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED
    assert booking.events.count() == 1


@pytest.mark.parametrize("done", ["confirmed", "declined", "cancelled"])
@pytest.mark.parametrize("call", ["confirm", "propose", "decline"])
def test_an_answered_request_cannot_be_answered_again(owner, car, dealer, advisor, in_days, done, call):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    actor = Actor.advisor(advisor)
    if done == "confirmed":
        booking_confirm(booking=booking, dealer=dealer, actor=actor)
    elif done == "declined":
        booking_decline(booking=booking, dealer=dealer, reason="full", actor=actor)
    else:
        booking_cancel(booking=booking, member=owner)
    with pytest.raises(BookingStateChanged):
        if call == "confirm":
            booking_confirm(booking=booking, dealer=dealer, actor=actor)
        elif call == "propose":
            booking_propose(booking=booking, dealer=dealer, day=in_days(7), slot=Slot.MORNING, actor=actor)
        else:
            booking_decline(booking=booking, dealer=dealer, reason="again", actor=actor)
    assert BookingRequest.objects.get().status == done
    assert BookingEvent.objects.count() == 2


def test_a_proposal_cannot_be_confirmed_by_the_dealer(owner, car, dealer, advisor, in_days):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_propose(
        booking=booking, dealer=dealer, day=in_days(6), slot=Slot.MORNING, actor=Actor.advisor(advisor)
    )
    with pytest.raises(BookingStateChanged):
        booking_confirm(booking=booking, dealer=dealer, actor=Actor.advisor(advisor))


def test_proposing_the_time_asked_for_is_refused(owner, car, dealer, advisor, in_days):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=4, slot=Slot.MORNING)
    with pytest.raises(BookingProposalSameTime):
        booking_propose(
            booking=booking, dealer=dealer, day=in_days(4), slot=Slot.MORNING, actor=Actor.advisor(advisor)
        )


@pytest.mark.parametrize(
    ("days", "slot"), [(-1, Slot.MORNING), (HORIZON_DAYS + 1, Slot.MORNING), (5, "noon")]
)
def test_a_proposal_outside_the_window_or_without_a_slot_is_refused(
    owner, car, dealer, advisor, in_days, days, slot
):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    with pytest.raises((BookingDateOutOfRange, BookingSlotInvalid)):
        booking_propose(
            booking=booking, dealer=dealer, day=in_days(days), slot=slot, actor=Actor.advisor(advisor)
        )
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED


def test_a_request_whose_day_has_passed_cannot_be_confirmed(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=2)
    later = timezone.now() + timedelta(days=3)
    with pytest.raises(BookingDatePassed):
        booking_confirm(booking=booking, dealer=dealer, actor=Actor.advisor(advisor), now=later)


# --- the owner's answers ------------------------------------------------------------------------------


def _proposed(owner, car, dealer, advisor, day):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    return booking_propose(
        booking=booking, dealer=dealer, day=day, slot=Slot.AFTERNOON, actor=Actor.advisor(advisor)
    )


def test_the_owner_accepts_a_proposal(owner, car, dealer, advisor, in_days):
    booking = _proposed(owner, car, dealer, advisor, in_days(6))
    accepted = booking_accept(booking=booking, member=owner)
    assert (accepted.status, accepted.offered_on, accepted.offered_slot) == (
        Status.CONFIRMED,
        in_days(6),
        "afternoon",
    )
    assert _actions(accepted)[-1] == ("accepted", "confirmed")


def test_only_a_proposal_can_be_accepted(owner, car, dealer):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    with pytest.raises(BookingStateChanged):
        booking_accept(booking=booking, member=owner)


def test_a_proposal_whose_day_has_passed_cannot_be_accepted(owner, car, dealer, advisor, in_days):
    booking = _proposed(owner, car, dealer, advisor, in_days(1))
    with pytest.raises(BookingDatePassed):
        booking_accept(booking=booking, member=owner, now=timezone.now() + timedelta(days=2))
    booking.refresh_from_db()
    assert booking.status == Status.PROPOSED


@pytest.mark.parametrize("call", ["accept", "cancel"])
def test_another_members_request_is_not_found(owner, car, dealer, advisor, in_days, call):
    booking = _proposed(owner, car, dealer, advisor, in_days(6))
    stranger = MemberFactory()
    with pytest.raises(BookingNotFound):
        if call == "accept":
            booking_accept(booking=booking, member=stranger)
        else:
            booking_cancel(booking=booking, member=stranger)
    booking.refresh_from_db()
    assert booking.status == Status.PROPOSED


@pytest.mark.parametrize("state", ["requested", "proposed", "confirmed"])
def test_the_owner_cancels_before_the_day(owner, car, dealer, advisor, in_days, state):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    if state == "proposed":
        booking_propose(
            booking=booking, dealer=dealer, day=in_days(6), slot=Slot.AFTERNOON, actor=Actor.advisor(advisor)
        )
    elif state == "confirmed":
        booking_confirm(booking=booking, dealer=dealer, actor=Actor.advisor(advisor))
    cancelled = booking_cancel(booking=booking, member=owner, reason="行程有變")
    assert cancelled.status == Status.CANCELLED
    assert cancelled.events.order_by("pk").last().note == "行程有變"


def test_a_declined_or_cancelled_request_cannot_be_cancelled(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_decline(booking=booking, dealer=dealer, reason="full", actor=Actor.advisor(advisor))
    with pytest.raises(BookingStateChanged):
        booking_cancel(booking=booking, member=owner)
    other = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_cancel(booking=other, member=owner)
    with pytest.raises(BookingStateChanged):
        booking_cancel(booking=other, member=owner)


def test_a_past_confirmed_booking_cannot_be_cancelled(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=1)
    booking_confirm(booking=booking, dealer=dealer, actor=Actor.advisor(advisor))
    with pytest.raises(BookingDatePassed):
        booking_cancel(booking=booking, member=owner, now=timezone.now() + timedelta(days=3))
