"""Referrals: every member has a code (link and QR code carry it); a friend who signs up with it is
recorded once; when the friend first binds a car or pays for a purchase, whichever comes first, both
are rewarded once (points through the ledger and/or a voucher, as Operations set in the programme).

Guards, each refused with a stable code and logged: a member cannot refer themselves (same member or
phone); a car the referrer owns or owned (or is the registered owner of) does not qualify; a referrer
is rewarded at most `Programme.referral_monthly_cap` times per calendar month (Asia/Taipei).

Locks, in this order: the referral row (one decision per friend), then the referrer's points account
(serialises one referrer's successes, so the cap's count cannot be overtaken), then the friend's.
"""

import logging
from datetime import datetime, time

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import DomainError
from members.actors import Actor
from members.models import Member
from vehicles.models import Ownership, Vehicle
from vouchers.models import Order, Voucher, VoucherDefinition
from vouchers.services import voucher_issue

from ..dates import add_months
from ..exceptions import (
    ReferralCapReached,
    ReferralCodeUnknown,
    ReferralOwnVehicle,
    ReferrerGone,
    SelfReferral,
)
from ..locks import account_for_update
from ..models import PointsEntry, Programme, Referral, ReferralCode
from ..referral_codes import referral_code_clean, referral_code_new
from ..selectors import referral_code_owner
from .ledger import account_of, points_credit

logger = logging.getLogger(__name__)
REFERRALS = Actor.system("referrals")
Status = Referral.Status
Trigger = Referral.Trigger


def referral_code_issue(*, member: Member) -> ReferralCode:
    """The member's code, made on first use and stable afterwards (two first uses at once make one)."""
    for _attempt in range(5):
        existing = ReferralCode.objects.filter(member=member).first()
        if existing is not None:
            return existing
        code = referral_code_new()
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(member=member, code=code)
        except IntegrityError:
            continue  # the member's code made meanwhile, or (rarely) another member's same code
    raise RuntimeError("no referral code could be made")  # pragma: no cover


def referral_record(*, friend: Member, code: str, now: datetime | None = None) -> Referral:
    """At sign-up: record that `friend` was referred by the owner of `code`; once per friend (a second
    call returns the first record). Raises ReferralCodeUnknown, SelfReferral (both logged)."""
    now = now or timezone.now()
    clean = referral_code_clean(code)
    owner = referral_code_owner(clean)
    if owner is None:
        logger.info("referral refused: %s (friend %s)", ReferralCodeUnknown.code, friend.pk)
        raise ReferralCodeUnknown()
    referrer = owner.member
    if referrer.pk == friend.pk or (friend.phone and friend.phone == referrer.phone):
        logger.info("referral refused: %s (member %s)", SelfReferral.code, friend.pk)
        raise SelfReferral()
    try:
        with transaction.atomic():
            return Referral.objects.create(referrer=referrer, friend=friend, code=clean, created_at=now)
    except IntegrityError:
        return Referral.objects.get(friend=friend)  # referred once: the first record stands


def referral_reward(
    *, friend_id: int, trigger: str, ref_id: int, now: datetime | None = None
) -> Referral | None:
    """The friend bound a car (`trigger` vehicle, `ref_id` the vehicle) or paid for an order (`order`,
    the order): reward both members once, or refuse with a stable code. None when the friend was not
    referred; the decided referral unchanged when it was decided already (a replay, the second event)."""
    now = now or timezone.now()
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("referrer", "friend")
            .filter(friend_id=friend_id)
            .first()
        )
        if referral is None or referral.status != Status.PENDING:
            return referral
        if trigger == Trigger.ORDER and not _paid_purchase(ref_id, friend_id):
            return referral  # free or unpaid: still waiting for a first paid purchase
        programme = Programme.current()
        referrer = referral.referrer
        account_for_update(account_of(referrer).pk)  # the cap's lock: one referrer's successes in turn
        referral.trigger, referral.trigger_ref = trigger, f"{trigger}:{ref_id}"
        referral.decided_at = now
        try:
            _check(referral, programme, trigger=trigger, ref_id=ref_id, now=now)
        except DomainError as refusal:
            referral.status, referral.refusal = Status.REFUSED, refusal.code
            referral.save(update_fields=["status", "refusal", "trigger", "trigger_ref", "decided_at"])
            logger.info(
                "referral %s refused: %s (referrer %s, friend %s, %s)",
                referral.pk,
                refusal.code,
                referrer.pk,
                friend_id,
                referral.trigger_ref,
            )
            return referral
        _give(referral, programme, now=now)
        referral.status = Status.REWARDED
        referral.save()
    return referral


def _paid_purchase(order_id: int, friend_id: int) -> bool:
    return Order.objects.filter(
        pk=order_id, member_id=friend_id, paid_at__isnull=False, amount_twd__gt=0
    ).exists()


def _check(referral: Referral, programme: Programme, *, trigger: str, ref_id: int, now: datetime) -> None:
    referrer, friend = referral.referrer, referral.friend
    if referrer.erased_at is not None:
        raise ReferrerGone()
    cars = _cars(friend.pk, trigger=trigger, ref_id=ref_id)
    owned = Ownership.objects.filter(vehicle_id__in=cars, member=referrer).exists()
    registered = bool(referrer.phone) and (
        Vehicle.objects.filter(pk__in=cars, registered_owner_phone=referrer.phone).exists()
    )
    if owned or registered:
        raise ReferralOwnVehicle()
    cap = programme.referral_monthly_cap
    if cap is not None:
        start, end = month_bounds(now)
        done = Referral.objects.filter(
            referrer=referrer, status=Status.REWARDED, decided_at__gte=start, decided_at__lt=end
        ).count()
        if done >= cap:
            raise ReferralCapReached()


def _cars(friend_id: int, *, trigger: str, ref_id: int) -> set[int]:
    """The cars that make the friend's case: the one bound, or for a purchase the order's car and the
    friend's cars now (a referrer's own car passed to the friend is not a new customer's)."""
    if trigger == Trigger.VEHICLE:
        return {ref_id}
    cars = set(Ownership.objects.current().filter(member_id=friend_id).values_list("vehicle_id", flat=True))
    order_car = Order.objects.filter(pk=ref_id).values_list("vehicle_id", flat=True).first()
    return cars | ({order_car} if order_car else set())


def month_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The calendar month (Asia/Taipei) `now` falls in, as [start, end)."""
    first = timezone.localtime(now).date().replace(day=1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    return start, add_months(start, 1)


def _give(referral: Referral, programme: Programme, *, now: datetime) -> None:
    sides = (
        ("referrer", referral.referrer, programme.referrer_points, programme.referrer_definition),
        ("friend", referral.friend, programme.friend_points, programme.friend_definition),
    )
    for side, member, points, definition in sides:
        key = f"referral:{referral.pk}:{side}"
        if points:
            points_credit(
                member=member,
                kind=PointsEntry.Kind.REFERRAL,
                points=points,
                key=key,
                actor=REFERRALS,
                data={"referral": referral.pk, "side": side},
                now=now,
            )
            setattr(referral, f"{side}_points", points)
        if definition is not None:
            setattr(referral, f"{side}_voucher", _voucher(definition, member, key, now))


def _voucher(definition: VoucherDefinition, member: Member, key: str, now: datetime) -> Voucher | None:
    """The voucher, or None when it cannot be issued (stock, holder rules): the points still count,
    and the refusal is logged for Operations."""
    try:
        with transaction.atomic():
            return voucher_issue(
                definition=definition,
                source=Voucher.Source.REFERRAL,
                member=member,
                actor=REFERRALS,
                reason=key,
                idempotency_key=key,
                now=now,
            )[0]
    except DomainError as exc:
        logger.warning("referral voucher %s for member %s not issued: %s", key, member.pk, exc)
        return None
