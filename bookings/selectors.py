"""Reads of booking requests shared by the counter, the portal and the back office."""

from datetime import date

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from members.models import Dealer, Member

from .models import BookingRequest

Status = BookingRequest.Status
OPEN = [Status.REQUESTED, Status.PROPOSED]


def _with_parties(queryset: QuerySet[BookingRequest]) -> QuerySet[BookingRequest]:
    return queryset.select_related("vehicle", "vehicle__model", "dealer", "member")


def dealer_open_bookings(dealer: Dealer) -> QuerySet[BookingRequest]:
    """Requests waiting for the dealer or for the owner's answer to a proposal, earliest day first."""
    return _with_parties(
        BookingRequest.objects.filter(dealer=dealer, status__in=OPEN)
        .annotate(day=Coalesce("offered_on", "requested_on"))
        .order_by("day", "requested_slot", "pk")
    )


def dealer_confirmed_bookings(dealer: Dealer, *, since: date, limit: int = 100) -> QuerySet[BookingRequest]:
    """Confirmed bookings from `since` on, by day."""
    return _with_parties(
        BookingRequest.objects.filter(dealer=dealer, status=Status.CONFIRMED, offered_on__gte=since).order_by(
            "offered_on", "offered_slot", "pk"
        )[:limit]
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
