"""Demo booking requests at the first dealers: waiting, proposed, confirmed, declined, cancelled,
so the counter's list and the back office have something to show."""

from datetime import datetime, timedelta

from django.utils import timezone

from bookings.models import BookingRequest, Slot
from bookings.services import (
    booking_accept,
    booking_cancel,
    booking_confirm,
    booking_create,
    booking_decline,
    booking_propose,
)
from members.actors import Actor
from members.models import DealerStaff
from vehicles.models import Ownership

Service = BookingRequest.Service
# (days ahead, slot, service, note, what happens next)
PLAN = [
    (2, Slot.MORNING, Service.MAINTENANCE, "保養里程已到，順便檢查冷氣。", "requested"),
    (3, Slot.AFTERNOON, Service.WASH, "", "requested"),
    (5, Slot.MORNING, Service.TYRE, "右前輪胎壓常偏低。", "proposed"),
    (4, Slot.AFTERNOON, Service.COATING, "", "confirmed"),
    (6, Slot.MORNING, Service.DETAILING, "", "accepted"),
    (7, Slot.AFTERNOON, Service.INTERIOR, "", "declined"),
    (8, Slot.MORNING, Service.MAINTENANCE, "", "cancelled"),
]


def bookings_seed(*, now: datetime) -> None:
    staff = list(
        DealerStaff.objects.filter(role=DealerStaff.Role.ADVISOR).select_related("dealer", "user")[:2]
    )
    owned = list(
        Ownership.objects.current().select_related("member", "vehicle").order_by("pk")[: len(PLAN) * 2]
    )
    today = timezone.localdate(now)
    for i, (ahead, slot, service, note, outcome) in enumerate(PLAN):
        if not staff or i >= len(owned):
            return
        advisor = staff[i % len(staff)]
        ownership = owned[i * 2]
        booking = booking_create(
            member=ownership.member,
            vehicle=ownership.vehicle,
            dealer=advisor.dealer,
            day=today + timedelta(days=ahead),
            slot=slot,
            service=service,
            note=note,
            idempotency_key=f"demo-booking-{i}",
            now=now - timedelta(hours=20 - i),
        )
        actor = Actor.advisor(advisor.user)
        if outcome == "confirmed":
            booking_confirm(
                booking=booking, dealer=advisor.dealer, actor=actor, note="請攜帶保養手冊。", now=now
            )
        elif outcome in ("proposed", "accepted"):
            other = Slot.AFTERNOON if slot == Slot.MORNING else Slot.MORNING
            booking_propose(
                booking=booking,
                dealer=advisor.dealer,
                day=booking.requested_on,
                slot=other,
                note="當天上午已滿，改下午可以嗎？",
                actor=actor,
                now=now,
            )
            if outcome == "accepted":
                booking_accept(booking=booking, member=ownership.member, now=now)
        elif outcome == "declined":
            booking_decline(
                booking=booking,
                dealer=advisor.dealer,
                reason="該項目需先更換零件，請來電洽詢。",
                actor=actor,
                now=now,
            )
        elif outcome == "cancelled":
            booking_cancel(booking=booking, member=ownership.member, reason="行程有變。", now=now)
