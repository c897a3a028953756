"""Reads of booking requests shared by the counter, the portal and the back office."""

from datetime import date

from django.db.models import Case, F, IntegerField, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf

from members.models import Dealer, Member

from .models import BookingRequest, Slot

Status = BookingRequest.Status
OPEN = [Status.REQUESTED, Status.PROPOSED]


def _half_day(slot) -> Case:
    """Morning before afternoon (the stored values sort the other way)."""
    return Case(When(**{slot: Slot.MORNING}, then=Value(0)), default=Value(1), output_field=IntegerField())


def _with_parties(queryset: QuerySet[BookingRequest]) -> QuerySet[BookingRequest]:
    return queryset.select_related("vehicle", "vehicle__model", "dealer", "member")


def dealer_open_bookings(dealer: Dealer) -> QuerySet[BookingRequest]:
    """Requests waiting for the dealer or for the owner's answer to a proposal, earliest day first."""
    return _with_parties(
        BookingRequest.objects.filter(dealer=dealer, status__in=OPEN)
        # The time on the table: the dealer's proposal if there is one, else the owner's ask.
        .annotate(
            day=Coalesce("offered_on", "requested_on"),
            slot=Coalesce(NullIf("offered_slot", Value("")), F("requested_slot")),
        )
        .annotate(half=_half_day("slot"))
        .order_by("day", "half", "pk")
    )


def dealer_confirmed_bookings(dealer: Dealer, *, since: date, limit: int = 100) -> QuerySet[BookingRequest]:
    """Confirmed bookings from `since` on, by day."""
    return _with_parties(
        BookingRequest.objects.filter(dealer=dealer, status=Status.CONFIRMED, offered_on__gte=since)
        .annotate(half=_half_day("offered_slot"))
        .order_by("offered_on", "half", "pk")[:limit]
    )


def dealer_booking(dealer: Dealer, booking_id: int) -> BookingRequest | None:
    """The request if it was made to this dealer (else None: the page answers 404)."""
    return _with_parties(BookingRequest.objects.filter(dealer=dealer, pk=booking_id)).first()


def member_bookings(member: Member, *, limit: int = 50) -> list[BookingRequest]:
    """The member's requests, newest first, with their history (two queries)."""
    return list(
        _with_parties(BookingRequest.objects.filter(member=member))
        .prefetch_related("events")
        .order_by("-created_at", "-pk")[:limit]
    )


def member_booking(member: Member, booking_id: int) -> BookingRequest | None:
    return BookingRequest.objects.filter(member=member, pk=booking_id).first()


def booking_history(booking: BookingRequest):
    return booking.events.select_related("user").order_by("at", "pk")
