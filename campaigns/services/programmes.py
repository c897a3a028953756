"""Lifecycle programmes run every night: new-car care, birthday, purchase anniversary, win-back.

Each is a job step `(now, cursor, deadline) -> (members or vehicles handled, next cursor)` over ids
in order. Each grant and message has a key naming the programme, the holder and the period (the
year, the day count, the last visit), so a re-run or a resumed run changes nothing. A programme
looks back CAMPAIGNS_CATCH_UP_DAYS so that a night the job did not run is made up.
"""

import time
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery

from members.models import Member
from vehicles.models import Ownership, Vehicle
from vouchers.models import VoucherDefinition
from vouchers.validity import local_date

from ..models import Notification, Programme
from .events import event_definitions, event_grant
from .notify import Draft, member_notify, notifications_bulk_queue

Event = VoucherDefinition.TriggerEvent
Key = Programme.Key


def _programme(key: str) -> Programme | None:
    return Programme.objects.filter(key=key, is_active=True).first()


def _days_back(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(settings.CAMPAIGNS_CATCH_UP_DAYS + 1)]


def _owner_id():
    return Subquery(
        Ownership.objects.filter(vehicle=OuterRef("pk"), ended_at__isnull=True).values("member_id")[:1]
    )


def _grant_and_tell(
    programme: Programme,
    *,
    event: str,
    member: Member,
    vehicle: Vehicle | None,
    period: str,
    key: str,
    context: dict,
    now: datetime,
) -> int:
    titles = []
    if programme.issue_vouchers:
        for definition in event_definitions(event):
            _grant, vouchers = event_grant(
                definition=definition, event=event, member=member, vehicle=vehicle, period=period, now=now
            )
            if vouchers:
                titles.append({"title": definition.title})
    if programme.send_message:
        member_notify(
            Draft(
                member=member,
                purpose=Notification.Purpose.LIFECYCLE,
                template_key=programme.key,
                dedup_key=key,
                promotional=programme.promotional,
                context={**context, "vouchers": titles},
            ),
            now=now,
        )
    return 1


def _vehicles_step(queryset, *, cursor, deadline, handle) -> tuple[int, object]:
    after = cursor or 0
    done = 0
    while True:
        batch = list(
            queryset.filter(pk__gt=after)
            .annotate(owner_id=_owner_id())
            .filter(owner_id__isnull=False)
            .select_related("model")
            .order_by("pk")[: settings.JOBS_BATCH_SIZE]
        )
        if not batch:
            return done, None
        members = {m.pk: m for m in Member.objects.filter(pk__in={v.owner_id for v in batch})}
        for vehicle in batch:
            done += handle(vehicle, members[vehicle.owner_id])
        after = batch[-1].pk
        if deadline is not None and time.monotonic() > deadline:
            return done, after


def new_car_care(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """Care messages N days after delivery (programme days, default 30, 60 and 90): one bulk insert."""
    programme = _programme(Key.NEW_CAR_CARE)
    if programme is None or not programme.send_message:
        return 0, None
    today = local_date(now)
    drafts = []
    catch_up = settings.CAMPAIGNS_CATCH_UP_DAYS
    for days in programme.days_list:
        window = (today - timedelta(days=days + catch_up), today - timedelta(days=days))
        vehicles = (
            Vehicle.objects.filter(delivery_date__range=window)
            .annotate(owner_id=_owner_id())
            .filter(owner_id__isnull=False)
            .select_related("model")
        )
        vehicles = list(vehicles)
        members = {m.pk: m for m in Member.objects.filter(pk__in={v.owner_id for v in vehicles})}
        drafts += [
            Draft(
                member=members[v.owner_id],
                purpose=Notification.Purpose.LIFECYCLE,
                template_key=programme.key,
                dedup_key=f"care:{v.pk}:{days}",
                promotional=programme.promotional,
                context={"plate": v.plate, "model": v.model.name, "days": days},
            )
            for v in vehicles
        ]
    return notifications_bulk_queue(drafts, now=now), None


def birthdays(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """A birthday voucher and greeting once per member per year. Cursor: last member id done."""
    programme = _programme(Key.BIRTHDAY)
    if programme is None:
        return 0, None
    today = local_date(now)
    match = Q(pk__in=[])
    for day in _days_back(today):
        match |= Q(birthday__month=day.month, birthday__day=day.day)
        if day.month == 2 and day.day == 28 and not _leap(day.year):
            match |= Q(birthday__month=2, birthday__day=29)
    members = Member.objects.filter(match, pk__gt=cursor or 0).order_by("pk")
    done = 0
    for member in members.iterator(500):
        year = _birthday_year(member.birthday, today)
        done += _grant_and_tell(
            programme,
            event=Event.BIRTHDAY,
            member=member,
            vehicle=None,
            period=str(year),
            key=f"birthday:{member.pk}:{year}",
            context={},
            now=now,
        )
        if deadline is not None and time.monotonic() > deadline:
            return done, member.pk
    return done, None


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _birthday_year(birthday: date, today: date) -> int:
    # A birthday in the catch-up window late in December, made up in January, belongs to last year;
    # 29 February counts as the 28th in other years.
    day = (birthday.month, birthday.day)
    if day == (2, 29) and not _leap(today.year):
        day = (2, 28)
    return today.year - 1 if day > (today.month, today.day) else today.year


def anniversaries(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """A gift on each anniversary of the delivery, once per vehicle per year."""
    programme = _programme(Key.PURCHASE_ANNIVERSARY)
    if programme is None:
        return 0, None
    today = local_date(now)
    match = Q(pk__in=[])
    for day in _days_back(today):
        match |= Q(
            delivery_date__month=day.month, delivery_date__day=day.day, delivery_date__year__lt=day.year
        )

    def handle(vehicle, member):
        year = _birthday_year(vehicle.delivery_date, today)
        years = year - vehicle.delivery_date.year
        if years < 1:
            return 0
        return _grant_and_tell(
            programme,
            event=Event.PURCHASE_ANNIVERSARY,
            member=member,
            vehicle=vehicle,
            period=str(year),
            key=f"anniversary:{vehicle.pk}:{year}",
            context={"plate": vehicle.plate, "model": vehicle.model.name, "years": years},
            now=now,
        )

    return _vehicles_step(Vehicle.objects.filter(match), cursor=cursor, deadline=deadline, handle=handle)


def win_back(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """An invitation (and voucher) when a vehicle has not visited for the programme's days (182)."""
    programme = _programme(Key.WIN_BACK)
    if programme is None:
        return 0, None
    days = (programme.days_list or [settings.CAMPAIGNS_WINBACK_AFTER_DAYS])[0]
    cutoff = now - timedelta(days=days)
    lapsed = Q(last_visit_at__lt=cutoff) | Q(last_visit_at__isnull=True, delivery_date__lt=local_date(cutoff))

    def handle(vehicle, member):
        since = local_date(vehicle.last_visit_at).isoformat() if vehicle.last_visit_at else "never"
        return _grant_and_tell(
            programme,
            event=Event.NO_VISIT,
            member=member,
            vehicle=vehicle,
            period=since,
            key=f"winback:{vehicle.pk}:{since}",
            context={"plate": vehicle.plate, "model": vehicle.model.name, "months": round(days / 30.4)},
            now=now,
        )

    return _vehicles_step(Vehicle.objects.filter(lapsed), cursor=cursor, deadline=deadline, handle=handle)
