"""Lifecycle programmes run every night: new-car care, birthday, purchase anniversary, win-back.

Each is a job step `(now, cursor, deadline) -> (members or vehicles handled, next cursor)` over ids
in order. Each grant and message has a key naming the programme, the holder and the period (the
year, the day count, the last visit), so a re-run or a resumed run changes nothing. A programme
looks back CAMPAIGNS_CATCH_UP_DAYS so that a night the job did not run is made up.

Holders are read in batches, and those whose grants and message are all written already (most of
them, night after night: win-back sees every car still away) are passed over with two look-ups per
batch, not several per holder.
"""

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Q

from config.stored_text import fit_to_column
from members.models import Member
from vehicles.models import Vehicle
from vehicles.selectors import current_owner_id_subquery
from vouchers.models import VoucherDefinition
from vouchers.validity import local_date

from ..models import EventIssuance, Notification, Programme
from .events import event_definitions, event_grant, once_key
from .notify import Draft, member_notify, notifications_bulk_queue
from .offers import OfferTarget, reminder_offers_attach

Event = VoucherDefinition.TriggerEvent
Key = Programme.Key


def _programme(key: str) -> Programme | None:
    return Programme.objects.filter(key=key, is_active=True).first()


def _days_back(today: date) -> list[date]:
    return [today - timedelta(days=n) for n in range(settings.CAMPAIGNS_CATCH_UP_DAYS + 1)]


def _owner_id():
    return current_owner_id_subquery("pk")


@dataclass
class _Holder:
    """One member (and car) a programme serves tonight, with the period and key of its message."""

    member: Member
    vehicle: Vehicle | None
    period: str
    key: str
    context: dict = field(default_factory=dict)


def _definitions(programme: Programme, event: str) -> list[VoucherDefinition]:
    return list(event_definitions(event)) if programme.issue_vouchers else []


def _pending(
    programme: Programme, definitions: list[VoucherDefinition], event: str, holders: list[_Holder]
) -> set[int]:
    """Positions of the holders with a grant or the message still to write (two queries a batch)."""
    grant_keys = [
        {once_key(d, event, member=h.member, vehicle=h.vehicle, period=h.period) for d in definitions}
        for h in holders
    ]
    wanted = set().union(*grant_keys)
    granted = (
        set(EventIssuance.objects.filter(key__in=wanted).values_list("key", flat=True)) if wanted else set()
    )
    sent = set()
    if programme.send_message and holders:
        sent = set(
            Notification.objects.filter(
                dedup_key__in=[fit_to_column(Notification, "dedup_key", h.key) for h in holders]
            ).values_list("dedup_key", flat=True)
        )
    return {
        i
        for i, (holder, keys) in enumerate(zip(holders, grant_keys, strict=True))
        if not keys <= granted
        or (programme.send_message and fit_to_column(Notification, "dedup_key", holder.key) not in sent)
    }


def _grant_and_tell(
    programme: Programme,
    *,
    definitions: list[VoucherDefinition],
    event: str,
    holder: _Holder,
    now: datetime,
) -> None:
    titles = []
    for definition in definitions:
        _grant, vouchers = event_grant(
            definition=definition,
            event=event,
            member=holder.member,
            vehicle=holder.vehicle,
            period=holder.period,
            now=now,
        )
        if vouchers:
            titles.append({"title": definition.title})
    if programme.send_message:
        draft = Draft(
            member=holder.member,
            purpose=Notification.Purpose.LIFECYCLE,
            template_key=programme.key,
            dedup_key=holder.key,
            promotional=programme.promotional,
            context={**holder.context, "vouchers": titles},
        )
        vehicle = holder.vehicle
        target = OfferTarget(
            draft, vehicle_id=vehicle.pk if vehicle else None, model_id=vehicle.model_id if vehicle else None
        )
        # A holder served again only for a grant still missing was told already: no offer then.
        if not Notification.objects.filter(
            dedup_key=fit_to_column(Notification, "dedup_key", holder.key)
        ).exists():
            reminder_offers_attach(reminder=programme.key, targets=[target], now=now)
        member_notify(draft, now=now)


def _serve(
    programme: Programme,
    definitions: list[VoucherDefinition],
    event: str,
    holders: list[_Holder],
    *,
    now: datetime,
    deadline: float | None,
) -> tuple[int, int | None]:
    """Serve the holders not served yet, in order: (holders handled, position of the last one when
    time ran out, else None)."""
    pending = _pending(programme, definitions, event, holders)
    for i, holder in enumerate(holders):
        if i not in pending:
            continue
        _grant_and_tell(programme, definitions=definitions, event=event, holder=holder, now=now)
        if deadline is not None and time.monotonic() > deadline:
            return i + 1, i
    return len(holders), None


def _vehicles_step(
    programme: Programme, event: str, queryset, *, cursor, deadline, holder_for, now
) -> tuple[int, object]:
    """`holder_for(vehicle, owner)` names the holder to serve for a vehicle, or None to pass it by."""
    definitions = _definitions(programme, event)
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
        holders = [h for v in batch if (h := holder_for(v, members[v.owner_id])) is not None]
        served, _stopped = _serve(programme, definitions, event, holders, now=now, deadline=None)
        done += served
        after = batch[-1].pk
        if deadline is not None and time.monotonic() > deadline:
            return done, after


def new_car_care(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """Care messages N days after delivery (programme days, default 30, 60 and 90): one bulk insert."""
    programme = _programme(Key.NEW_CAR_CARE)
    if programme is None or not programme.send_message:
        return 0, None
    today = local_date(now)
    targets: list[OfferTarget] = []
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
        targets += [
            OfferTarget(
                Draft(
                    member=members[v.owner_id],
                    purpose=Notification.Purpose.LIFECYCLE,
                    template_key=programme.key,
                    dedup_key=f"care:{v.pk}:{days}",
                    promotional=programme.promotional,
                    context={"plate": v.plate, "model": v.model.name, "days": days},
                ),
                vehicle_id=v.pk,
                model_id=v.model_id,
            )
            for v in vehicles
        ]
    # Written already (the care days are a window wide): no offer looked at, nothing built twice.
    sent = set(
        Notification.objects.filter(dedup_key__in=[t.draft.dedup_key for t in targets]).values_list(
            "dedup_key", flat=True
        )
    )
    targets = [t for t in targets if t.draft.dedup_key not in sent]
    reminder_offers_attach(reminder=programme.key, targets=targets, now=now)
    return notifications_bulk_queue([t.draft for t in targets], now=now), None


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
    members = Member.objects.filter(match).order_by("pk")
    definitions = _definitions(programme, Event.BIRTHDAY)
    after = cursor or 0
    done = 0
    while True:
        batch = list(members.filter(pk__gt=after)[: settings.JOBS_BATCH_SIZE])
        if not batch:
            return done, None
        holders = []
        for member in batch:
            year = _birthday_year(member.birthday, today)
            holders.append(_Holder(member, None, str(year), f"birthday:{member.pk}:{year}"))
        served, stopped = _serve(programme, definitions, Event.BIRTHDAY, holders, now=now, deadline=deadline)
        done += served
        if stopped is not None:
            return done, holders[stopped].member.pk
        after = batch[-1].pk


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

    def holder_for(vehicle, member):
        year = _birthday_year(vehicle.delivery_date, today)
        years = year - vehicle.delivery_date.year
        if years < 1:
            return None
        return _Holder(
            member,
            vehicle,
            str(year),
            f"anniversary:{vehicle.pk}:{year}",
            {"plate": vehicle.plate, "model": vehicle.model.name, "years": years},
        )

    return _vehicles_step(
        programme,
        Event.PURCHASE_ANNIVERSARY,
        Vehicle.objects.filter(match),
        cursor=cursor,
        deadline=deadline,
        holder_for=holder_for,
        now=now,
    )


def win_back(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """An invitation (and voucher) when a vehicle has not visited for the programme's days (182)."""
    programme = _programme(Key.WIN_BACK)
    if programme is None:
        return 0, None
    days = (programme.days_list or [settings.CAMPAIGNS_WINBACK_AFTER_DAYS])[0]
    cutoff = now - timedelta(days=days)
    lapsed = Q(last_visit_at__lt=cutoff) | Q(last_visit_at__isnull=True, delivery_date__lt=local_date(cutoff))

    def holder_for(vehicle, member):
        since = local_date(vehicle.last_visit_at).isoformat() if vehicle.last_visit_at else "never"
        return _Holder(
            member,
            vehicle,
            since,
            f"winback:{vehicle.pk}:{since}",
            {"plate": vehicle.plate, "model": vehicle.model.name, "months": round(days / 30.4)},
        )

    return _vehicles_step(
        programme,
        Event.NO_VISIT,
        Vehicle.objects.filter(lapsed),
        cursor=cursor,
        deadline=deadline,
        holder_for=holder_for,
        now=now,
    )
