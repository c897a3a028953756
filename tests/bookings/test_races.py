"""Races on PostgreSQL: two requests for one car at one dealer, and an answer crossing the owner's
cancellation. Each serialises on its row lock; exactly one wins, the other is refused cleanly."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from bookings.exceptions import BookingAlreadyOpen, BookingStateChanged
from bookings.models import BookingEvent, BookingRequest, Slot
from bookings.services import booking_cancel, booking_confirm, booking_create, booking_decline
from members.actors import Actor
from tests.factories import DealerStaffFactory
from tests.factories.bookings import booking as make_booking

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*calls):
    """Run each call in its own thread, released together by a barrier; their results or errors."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_two_requests_for_one_car_at_one_dealer_give_one(owner, car, dealer):
    day = timezone.localdate() + timedelta(days=3)

    def ask(key):
        return lambda: booking_create(
            member=owner,
            vehicle=car,
            dealer=dealer,
            day=day,
            slot=Slot.MORNING,
            service="maintenance",
            idempotency_key=key,
        )

    results = race(ask("portal:a"), ask("portal:b"), ask("portal:c"))
    made = [r for r in results if isinstance(r, BookingRequest)]
    refused = [r for r in results if isinstance(r, BookingAlreadyOpen)]
    assert (len(made), len(refused)) == (1, 2), results
    assert BookingRequest.objects.count() == 1 and BookingEvent.objects.count() == 1


def test_a_double_tap_gives_one_request(owner, car, dealer):
    day = timezone.localdate() + timedelta(days=3)

    def ask():
        return booking_create(
            member=owner,
            vehicle=car,
            dealer=dealer,
            day=day,
            slot=Slot.MORNING,
            service="maintenance",
            idempotency_key="portal:same",
        )

    results = race(ask, ask)
    assert all(isinstance(r, BookingRequest) for r in results), results
    assert results[0].pk == results[1].pk
    assert BookingRequest.objects.count() == 1


def test_two_advisors_answering_at_once_give_one_answer(owner, car, dealer, advisor):
    colleague = DealerStaffFactory(dealer=dealer).user
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    results = race(
        lambda: booking_confirm(booking=booking, dealer=dealer, actor=Actor.advisor(advisor)),
        lambda: booking_decline(
            booking=booking, dealer=dealer, reason="full", actor=Actor.advisor(colleague)
        ),
    )
    winners = [r for r in results if isinstance(r, BookingRequest)]
    losers = [r for r in results if isinstance(r, BookingStateChanged)]
    assert (len(winners), len(losers)) == (1, 1), results
    booking.refresh_from_db()
    assert booking.status == winners[0].status
    assert booking.events.count() == 2


def test_an_answer_crossing_the_owners_cancellation_never_reopens_it(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    results = race(
        lambda: booking_decline(booking=booking, dealer=dealer, reason="full", actor=Actor.advisor(advisor)),
        lambda: booking_cancel(booking=booking, member=owner),
    )
    # A decline and a cancellation both close the request: whichever comes second is refused.
    assert sum(isinstance(r, BookingRequest) for r in results) == 1, results
    assert sum(isinstance(r, BookingStateChanged) for r in results) == 1, results
    booking.refresh_from_db()
    assert booking.status in ("declined", "cancelled")
    assert booking.events.count() == 2
