"""The owner's booking pages through the test client: the form (prefilled from a reminder's link),
the list, accepting a proposal, cancelling; a stranger's request is not found."""

import pytest
from django.urls import reverse

from bookings.models import BookingRequest, Slot
from bookings.services import booking_confirm, booking_decline, booking_propose
from members.actors import Actor
from tests.factories import DealerFactory, MemberFactory, OwnedVehicleFactory
from tests.factories.bookings import booking as make_booking
from tests.portal.conftest import TOKEN, english_client, page_messages, sign_in

pytestmark = pytest.mark.django_db
Status = BookingRequest.Status
NEW = reverse("portal:booking_new")


def _form(car, dealer, on, **overrides):
    return {
        "vehicle": car.pk,
        "dealer": dealer.pk,
        "service": "maintenance",
        "day": on.isoformat(),
        "slot": "morning",
        "note": "冷氣不冷",
        "idempotency_key": TOKEN,
        **overrides,
    }


def test_the_form_is_prefilled_from_a_reminders_link(owner_client, owner, car, dealer):
    second = OwnedVehicleFactory(owner=owner)
    response = owner_client.get(f"{NEW}?vehicle={second.pk}&service=tyre&alert=77&utm_source=sms")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["vehicle"] == second.pk
    assert form.initial["service"] == "tyre"
    # The first car by default, and its selling dealer.
    form = owner_client.get(NEW).context["form"]
    assert (form.initial["vehicle"], form.initial["dealer"]) == (car.pk, dealer.pk)
    html = owner_client.get(NEW).content.decode()
    assert 'type="date"' in html and 'min="' in html


@pytest.mark.parametrize(
    "params",
    ["?vehicle=99999", "?vehicle=x1", "?vehicle=²", "?service=teleport", "?vehicle=" + "9" * 40, "?stranger"],
)
def test_unknown_or_foreign_prefill_is_ignored(owner_client, car, params):
    if params == "?stranger":
        params = f"?vehicle={OwnedVehicleFactory(owner=MemberFactory()).pk}"
    response = owner_client.get(NEW + params)
    assert response.status_code == 200
    assert response.context["form"].initial["vehicle"] == car.pk
    assert "service" not in response.context["form"].initial


def test_an_owner_without_a_car_is_sent_to_add_one(db):
    client = sign_in(english_client(), MemberFactory())
    response = client.get(NEW)
    assert response.status_code == 302 and response["Location"] == reverse("portal:vehicle_bind")


def test_an_owner_asks_and_sees_the_request(owner_client, owner, car, dealer, in_days):
    response = owner_client.post(NEW, _form(car, dealer, in_days(3)))
    assert response.status_code == 302 and response["Location"] == reverse("portal:bookings")
    booking = BookingRequest.objects.get()
    assert (booking.member, booking.vehicle, booking.dealer, booking.note) == (owner, car, dealer, "冷氣不冷")
    assert booking.idempotency_key == f"portal:{owner.pk}:{TOKEN}"
    # The same form sent twice (a double tap): one request.
    owner_client.post(NEW, _form(car, dealer, in_days(3)))
    assert BookingRequest.objects.count() == 1
    page = owner_client.get(reverse("portal:bookings"))
    assert [b.pk for b in page.context["bookings"]] == [booking.pk]
    assert "Waiting for the dealer" in page.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"day": "2000-01-01"}, "day", "Choose a date from"),
        ({"day": "not-a-date"}, "day", "Enter a valid date"),
        ({"slot": "evening"}, "slot", "Select a valid choice"),
        ({"service": "x"}, "service", "Select a valid choice"),
        ({"note": "x" * 501}, "note", "at most 500"),
        ({"idempotency_key": ""}, None, "This form has expired"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_nothing_is_written(
    owner_client, car, dealer, in_days, overrides, field, text
):
    response = owner_client.post(NEW, _form(car, dealer, in_days(3), **overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert any(text in e for e in errors[field or "__all__"])
    assert not BookingRequest.objects.exists()


def test_a_strangers_car_or_an_inactive_dealer_cannot_be_chosen(owner_client, car, dealer, in_days):
    stranger_car = OwnedVehicleFactory(owner=MemberFactory())
    closed = DealerFactory(is_active=False)
    assert owner_client.post(NEW, _form(stranger_car, dealer, in_days(3))).status_code == 400
    assert owner_client.post(NEW, _form(car, closed, in_days(3))).status_code == 400
    assert not BookingRequest.objects.exists()


def test_a_second_open_request_at_the_dealer_is_refused_with_a_reason(
    owner_client, owner, car, dealer, in_days
):
    make_booking(member=owner, vehicle=car, dealer=dealer)
    response = owner_client.post(NEW, _form(car, dealer, in_days(8)))
    assert response.status_code == 400
    assert "already has a request waiting" in response.content.decode()
    assert BookingRequest.objects.count() == 1


def test_the_owner_accepts_a_proposal(owner_client, owner, car, dealer, advisor, in_days):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_propose(
        booking=booking, dealer=dealer, day=in_days(6), slot=Slot.AFTERNOON, actor=Actor.advisor(advisor)
    )
    page = owner_client.get(reverse("portal:bookings")).content.decode()
    assert 'data-test="booking-accept"' in page
    response = owner_client.post(
        reverse("portal:booking_accept", args=[booking.pk]), {"idempotency_key": TOKEN}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.status, booking.offered_on) == (Status.CONFIRMED, in_days(6))


def test_accepting_what_is_no_proposal_is_refused_with_a_message(owner_client, owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_decline(booking=booking, dealer=dealer, reason="full", actor=Actor.advisor(advisor))
    response = owner_client.post(
        reverse("portal:booking_accept", args=[booking.pk]), {"idempotency_key": TOKEN}, follow=True
    )
    assert any("changed meanwhile" in m for m in page_messages(response))
    booking.refresh_from_db()
    assert booking.status == Status.DECLINED


def test_the_owner_cancels(owner_client, owner, car, dealer, advisor):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    booking_confirm(booking=booking, dealer=dealer, actor=Actor.advisor(advisor))
    response = owner_client.post(
        reverse("portal:booking_cancel", args=[booking.pk]), {"idempotency_key": TOKEN, "reason": "出差"}
    )
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == Status.CANCELLED
    assert booking.events.last().note == "出差"


@pytest.mark.parametrize("name", ["booking_accept", "booking_cancel"])
def test_an_action_without_its_token_is_refused(owner_client, owner, car, dealer, name):
    booking = make_booking(member=owner, vehicle=car, dealer=dealer)
    response = owner_client.post(reverse(f"portal:{name}", args=[booking.pk]), {}, follow=True)
    assert any("expired" in m for m in page_messages(response))
    booking.refresh_from_db()
    assert booking.status == Status.REQUESTED


@pytest.mark.parametrize("name", ["booking_accept", "booking_cancel"])
def test_a_strangers_request_is_not_found(owner_client, dealer, advisor, in_days, name):
    stranger = MemberFactory()
    booking = make_booking(member=stranger, vehicle=OwnedVehicleFactory(owner=stranger), dealer=dealer)
    booking_propose(
        booking=booking, dealer=dealer, day=in_days(6), slot=Slot.AFTERNOON, actor=Actor.advisor(advisor)
    )
    for pk in (booking.pk, 987654):
        response = owner_client.post(reverse(f"portal:{name}", args=[pk]), {"idempotency_key": TOKEN})
        assert response.status_code == 404
    booking.refresh_from_db()
    assert booking.status == Status.PROPOSED
    assert owner_client.get(reverse("portal:bookings")).context["bookings"] == []


def test_pages_need_a_signed_in_owner(car):
    for url in (NEW, reverse("portal:bookings")):
        response = english_client().get(url)
        assert response.status_code == 302 and "/portal/sign-in/" in response["Location"]


def test_the_list_keeps_its_queries_whatever_the_number_of_requests(
    owner_client, owner, dealer, django_assert_max_num_queries
):
    for days in range(1, 8):
        make_booking(member=owner, vehicle=OwnedVehicleFactory(owner=owner), dealer=dealer, days_ahead=days)
    with django_assert_max_num_queries(6):
        assert owner_client.get(reverse("portal:bookings")).status_code == 200


def test_the_vehicle_page_links_to_the_booking_form(owner_client, car):
    html = owner_client.get(reverse("portal:vehicle", args=[car.pk])).content.decode()
    assert f'href="{NEW}?vehicle={car.pk}"' in html
