"""The counter's booking pages through the test client: the dealer's list, the three answers,
scope (another dealer's request is not found), form tokens, and refusals shown on the form."""

import pytest
from django.test import Client
from django.urls import reverse

from bookings.models import BookingRequest, Slot
from bookings.services import booking_cancel
from redemption.tokens import form_token_issue
from tests.factories import MemberFactory, OwnedVehicleFactory, UserFactory
from tests.factories.bookings import booking as make_booking

from .conftest import counter_client

pytestmark = pytest.mark.django_db
Status = BookingRequest.Status


def _token(user, action, booking):
    return form_token_issue(user_id=user.pk, action=action, target=f"booking:{booking.pk}")


def _post(client, user, name, booking, **data):
    url = reverse(f"counter_bookings:{name}", args=[booking.pk])
    return client.post(url, {"token": _token(user, f"booking_{name}", booking), **data})


def test_the_list_shows_this_dealers_open_requests_by_day(
    owner, car, dealer, other_dealer, advisor, django_assert_max_num_queries
):
    later = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=9)
    for days in (2, 5):
        make_booking(member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer, days_ahead=days)
    foreign = make_booking(member=owner, vehicle=car, dealer=other_dealer, days_ahead=1)
    cancelled = make_booking(
        member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer, days_ahead=3
    )
    booking_cancel(booking=cancelled, member=owner)
    client = counter_client(advisor)
    client.get(reverse("counter_bookings:list"))  # warm the session
    with django_assert_max_num_queries(8):
        response = client.get(reverse("counter_bookings:list"))
    assert response.status_code == 200
    rows = [b.pk for b in response.context["open_bookings"]]
    assert foreign.pk not in rows and cancelled.pk not in rows
    assert rows[-1] == later.pk
    days = [b.requested_on for b in response.context["open_bookings"]]
    assert days == sorted(days)
    assert b'data-testid="nav-bookings"' in response.content


def test_the_list_query_count_does_not_grow_with_requests(dealer, advisor, django_assert_max_num_queries):
    client = counter_client(advisor)
    client.get(reverse("counter_bookings:list"))
    for days in range(1, 15):
        member = MemberFactory()
        make_booking(member=member, vehicle=OwnedVehicleFactory(owner=member), dealer=dealer, days_ahead=days)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("counter_bookings:list")).status_code == 200


def test_an_advisor_confirms(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    client = counter_client(advisor)
    page = client.get(reverse("counter_bookings:detail", args=[booking.pk]))
    assert page.status_code == 200
    assert b'data-testid="booking-confirm"' in page.content
    response = _post(client, advisor, "confirm", booking, note="請帶保養手冊")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.dealer_note) == (Status.CONFIRMED, "請帶保養手冊")
    assert booking.events.last().user_id == advisor.pk


def test_an_advisor_proposes_another_time(owner, car, dealer, advisor, in_days):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=3)
    client = counter_client(advisor)
    response = _post(
        client, advisor, "propose", booking, day=in_days(4).isoformat(), slot="afternoon", note=""
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.offered_on, booking.offered_slot) == (
        Status.PROPOSED,
        in_days(4),
        "afternoon",
    )


def test_an_advisor_declines_with_a_reason(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    client = counter_client(advisor)
    response = _post(client, advisor, "decline", booking, reason="技師休假")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.dealer_note) == (Status.DECLINED, "技師休假")


def test_a_decline_without_a_reason_is_shown_on_the_form(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    response = _post(counter_client(advisor), advisor, "decline", booking, reason="")
    assert response.status_code == 400
    assert response.context["decline_form"].errors["reason"]
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED


@pytest.mark.parametrize(
    ("day_offset", "slot", "message"),
    [
        (-1, "morning", "Choose a date from"),
        (3, "morning", "confirm the request instead"),
        (5, "noon", "Select a valid choice"),
    ],
)
def test_a_refused_proposal_is_shown_on_the_form(
    owner, car, dealer, advisor, in_days, day_offset, slot, message
):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer, days_ahead=3, slot=Slot.MORNING)
    response = _post(
        counter_client(advisor), advisor, "propose", booking, day=in_days(day_offset).isoformat(), slot=slot
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED


def test_a_request_already_answered_is_refused_with_its_state(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_cancel(booking=booking, member=owner)
    response = _post(counter_client(advisor), advisor, "confirm", booking)
    assert response.status_code == 400
    assert "Cancelled by the owner" in response.content.decode()
    assert b"booking-confirm" not in response.content  # a closed request offers no action


@pytest.mark.parametrize("name", ["detail", "confirm", "propose", "decline"])
def test_another_dealers_request_is_not_found(owner, car, other_dealer, advisor, name):
    booking = make_booking(member=owner, vehicle=car, dealer=other_dealer)
    client = counter_client(advisor)
    if name == "detail":
        response = client.get(reverse("counter_bookings:detail", args=[booking.pk]))
    else:
        response = _post(client, advisor, name, booking, reason="x", day="2030-01-01", slot="morning")
    assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED


def test_a_token_for_another_request_or_action_is_refused(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    other = make_booking(member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer)
    client = counter_client(advisor)
    url = reverse("counter_bookings:confirm", args=[booking.pk])
    for token in (
        _token(advisor, "booking_confirm", other),
        _token(advisor, "booking_decline", booking),
        "",
        "garbage",
    ):
        assert client.post(url, {"token": token}).status_code == 400
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED


def test_staff_of_no_dealer_and_strangers_are_kept_out(owner, car, dealer):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    assert counter_client(UserFactory()).get(reverse("counter_bookings:list")).status_code == 403
    response = Client().get(reverse("counter_bookings:detail", args=[booking.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_actions_answer_only_post(owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    assert (
        counter_client(advisor).get(reverse("counter_bookings:confirm", args=[booking.pk])).status_code == 405
    )


def test_on_one_day_the_morning_comes_before_the_afternoon(owner, dealer, advisor, in_days):
    afternoon = make_booking(
        member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer, slot=Slot.AFTERNOON
    )
    morning = make_booking(
        member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer, slot=Slot.MORNING
    )
    response = counter_client(advisor).get(reverse("counter_bookings:list"))
    assert [b.pk for b in response.context["open_bookings"]] == [morning.pk, afternoon.pk]
