"""Booking requests: one function per use case. Each locks (vehicle → request), re-checks under the
lock, writes the new state and one history entry, and announces the change (`signals.booking_changed`)
so campaigns tells the owner after commit.
"""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from members.actors import Actor
from members.models import Dealer, Member
from vehicles.locks import vehicle_for_update
from vehicles.models import Vehicle
from vehicles.selectors import member_can_use_vehicle

from . import signals
from .exceptions import (
    BookingAlreadyOpen,
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
from .locks import booking_for_update
from .models import BookingEvent, BookingRequest, Slot
from .rules import NOTE_MAX, booking_day_check

Status = BookingRequest.Status
Action = BookingEvent.Action


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise BookingNoteTooLong(max=NOTE_MAX)
    return note


def _check_slot(slot: str) -> None:
    if slot not in Slot.values:
        raise BookingSlotInvalid()


def _record(
    booking: BookingRequest,
    *,
    action: str,
    actor: Actor,
    now: datetime,
    day: date | None = None,
    slot: str = "",
    note: str = "",
) -> BookingEvent:
    event = BookingEvent.objects.create(
        booking=booking,
        action=action,
        status_after=booking.status,
        day=day,
        slot=slot,
        note=note,
        actor_label=actor.label[:150],
        user_id=actor.user_id,
        at=now,
    )
    signals.booking_changed.send(sender=BookingRequest, booking=booking, event=event)
    return event


def _refuse_unless(booking: BookingRequest, *statuses: str) -> None:
    if booking.status not in statuses:
        raise BookingStateChanged(status=booking.get_status_display())


def booking_create(
    *,
    member: Member,
    vehicle: Vehicle,
    dealer: Dealer,
    day: date,
    slot: str,
    service: str,
    note: str = "",
    idempotency_key: str,
    now: datetime | None = None,
) -> BookingRequest:
    """The owner asks `dealer` for a slot for `vehicle`. A replay of `idempotency_key` returns the
    first request. Refusals: BookingVehicleNotYours, BookingDealerUnavailable, BookingDateOutOfRange,
    BookingSlotInvalid, BookingServiceInvalid, BookingNoteTooLong, BookingAlreadyOpen."""
    now = now or timezone.now()
    first = BookingRequest.objects.filter(idempotency_key=idempotency_key).first()
    if first is not None and first.member_id == member.pk:
        return first
    if first is not None:
        raise BookingNotFound()  # another member's key: never theirs to see
    booking_day_check(day, today=timezone.localdate(now))
    _check_slot(slot)
    if service not in BookingRequest.Service.values:
        raise BookingServiceInvalid()
    note = _clean_note(note)
    if not dealer.is_active:
        raise BookingDealerUnavailable()
    try:
        with transaction.atomic():
            vehicle_for_update(vehicle.pk)
            if not member_can_use_vehicle(member.pk, vehicle.pk):
                raise BookingVehicleNotYours()
            replay = BookingRequest.objects.filter(idempotency_key=idempotency_key, member=member).first()
            if replay is not None:
                return replay
            if BookingRequest.objects.filter(
                vehicle=vehicle, dealer=dealer, status__in=[Status.REQUESTED, Status.PROPOSED]
            ).exists():
                raise BookingAlreadyOpen()
            booking = BookingRequest.objects.create(
                member=member,
                vehicle=vehicle,
                dealer=dealer,
                service=service,
                requested_on=day,
                requested_slot=slot,
                note=note,
                status=Status.REQUESTED,
                created_at=now,
                updated_at=now,
                idempotency_key=idempotency_key,
            )
            _record(booking, action=Action.REQUESTED, actor=Actor.owner(member), now=now, day=day, slot=slot)
    except IntegrityError as exc:
        # Only reachable without the vehicle lock's protection (a writer that skipped this service).
        raise BookingAlreadyOpen() from exc
    return booking


def _dealer_locked(booking: BookingRequest, dealer: Dealer) -> BookingRequest:
    locked = booking_for_update(booking.pk)
    if locked.dealer_id != dealer.pk:
        raise BookingNotFound()
    return locked


def _owner_locked(booking: BookingRequest, member: Member) -> BookingRequest:
    locked = booking_for_update(booking.pk)
    if locked.member_id != member.pk:
        raise BookingNotFound()
    return locked


def _save(booking: BookingRequest, now: datetime, *fields: str) -> None:
    booking.updated_at = now
    booking.save(update_fields=[*fields, "status", "updated_at"])


def booking_confirm(
    *, booking: BookingRequest, dealer: Dealer, actor: Actor, note: str = "", now: datetime | None = None
) -> BookingRequest:
    """The dealer confirms the time the owner asked for. Refusals: BookingNotFound (another
    dealer's), BookingStateChanged (not waiting), BookingDatePassed, BookingNoteTooLong."""
    now = now or timezone.now()
    note = _clean_note(note)
    with transaction.atomic():
        locked = _dealer_locked(booking, dealer)
        _refuse_unless(locked, Status.REQUESTED)
        if locked.requested_on < timezone.localdate(now):
            raise BookingDatePassed()
        locked.status = Status.CONFIRMED
        locked.offered_on, locked.offered_slot = locked.requested_on, locked.requested_slot
        locked.dealer_note = note
        _save(locked, now, "offered_on", "offered_slot", "dealer_note")
        _record(
            locked,
            action=Action.CONFIRMED,
            actor=actor,
            now=now,
            day=locked.offered_on,
            slot=locked.offered_slot,
            note=note,
        )
    return locked


def booking_propose(
    *,
    booking: BookingRequest,
    dealer: Dealer,
    day: date,
    slot: str,
    actor: Actor,
    note: str = "",
    now: datetime | None = None,
) -> BookingRequest:
    """The dealer offers another time (again, if the owner has not answered the last one).
    Refusals: BookingNotFound, BookingStateChanged, BookingDateOutOfRange, BookingSlotInvalid,
    BookingProposalSameTime, BookingNoteTooLong."""
    now = now or timezone.now()
    booking_day_check(day, today=timezone.localdate(now), by_dealer=True)
    _check_slot(slot)
    note = _clean_note(note)
    with transaction.atomic():
        locked = _dealer_locked(booking, dealer)
        _refuse_unless(locked, Status.REQUESTED, Status.PROPOSED)
        if (day, slot) == (locked.requested_on, locked.requested_slot):
            raise BookingProposalSameTime()
        locked.status = Status.PROPOSED
        locked.offered_on, locked.offered_slot = day, slot
        locked.dealer_note = note
        _save(locked, now, "offered_on", "offered_slot", "dealer_note")
        _record(locked, action=Action.PROPOSED, actor=actor, now=now, day=day, slot=slot, note=note)
    return locked


def booking_decline(
    *, booking: BookingRequest, dealer: Dealer, reason: str, actor: Actor, now: datetime | None = None
) -> BookingRequest:
    """The dealer cannot take the car, and says why. Refusals: BookingNotFound,
    BookingStateChanged, BookingReasonRequired, BookingNoteTooLong."""
    now = now or timezone.now()
    reason = _clean_note(reason)
    if not reason:
        raise BookingReasonRequired()
    with transaction.atomic():
        locked = _dealer_locked(booking, dealer)
        _refuse_unless(locked, Status.REQUESTED, Status.PROPOSED)
        locked.status = Status.DECLINED
        locked.dealer_note = reason
        _save(locked, now, "dealer_note")
        _record(locked, action=Action.DECLINED, actor=actor, now=now, note=reason)
    return locked


def booking_accept(*, booking: BookingRequest, member: Member, now: datetime | None = None) -> BookingRequest:
    """The owner takes the dealer's proposed time: the booking is confirmed for it. Refusals:
    BookingNotFound (another member's), BookingStateChanged (no proposal open), BookingDatePassed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _owner_locked(booking, member)
        _refuse_unless(locked, Status.PROPOSED)
        if locked.offered_on < timezone.localdate(now):
            raise BookingDatePassed()
        locked.status = Status.CONFIRMED
        _save(locked, now)
        _record(
            locked,
            action=Action.ACCEPTED,
            actor=Actor.owner(member),
            now=now,
            day=locked.offered_on,
            slot=locked.offered_slot,
        )
    return locked


def booking_cancel(
    *, booking: BookingRequest, member: Member, reason: str = "", now: datetime | None = None
) -> BookingRequest:
    """The owner withdraws the request, declines the dealer's proposal, or cancels a confirmed
    booking before its day. Refusals: BookingNotFound, BookingStateChanged, BookingDatePassed,
    BookingNoteTooLong."""
    now = now or timezone.now()
    reason = _clean_note(reason)
    with transaction.atomic():
        locked = _owner_locked(booking, member)
        _refuse_unless(locked, Status.REQUESTED, Status.PROPOSED, Status.CONFIRMED)
        if locked.status == Status.CONFIRMED and locked.offered_on < timezone.localdate(now):
            raise BookingDatePassed()
        locked.status = Status.CANCELLED
        _save(locked, now)
        _record(locked, action=Action.CANCELLED, actor=Actor.owner(member), now=now, note=reason)
    return locked
