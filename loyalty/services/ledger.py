"""The points ledger: every change of a balance, built on one contract.

Lock the member's account → return the first result if this event was recorded already (its `key`) →
expire lots that are due (expired points are never spent, even before the nightly sweep) → check →
write exactly one `PointsEntry`, move the balance and the lots with it. The balance never goes
negative (checked here, and by a constraint in the database).
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Member

from ..dates import add_months
from ..exceptions import AlreadyReturned, InsufficientPoints, PointsMustChange, ReasonRequired
from ..locks import account_for_update
from ..models import LotUse, PointsAccount, PointsEntry, PointsLot, Programme

Kind = PointsEntry.Kind
EXPIRY = Actor.system("points-expiry")


def account_of(member: Member | int) -> PointsAccount:
    """The member's account, opened on first use (two first uses at once open one)."""
    member_id = getattr(member, "pk", member)
    account = PointsAccount.objects.filter(member_id=member_id).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return PointsAccount.objects.create(member_id=member_id)
    except IntegrityError:
        return PointsAccount.objects.get(member_id=member_id)


def _replay(key: str | None) -> PointsEntry | None:
    if not key:
        return None
    entry = PointsEntry.objects.filter(key=key).first()
    if entry is not None:
        entry.replayed = True
    return entry


def _append(
    account: PointsAccount,
    *,
    kind: str,
    delta: int,
    now: datetime,
    actor: Actor | None = None,
    key: str | None = None,
    reason: str = "",
    data: dict | None = None,
    reverses: PointsEntry | None = None,
) -> PointsEntry:
    account.balance += delta
    account.save(update_fields=["balance"])
    return PointsEntry.objects.create(
        account=account,
        kind=kind,
        delta=delta,
        balance_after=account.balance,
        reverses=reverses,
        key=fit_to_column(PointsEntry, "key", key) if key else None,
        actor_id=actor.user_id if actor else None,
        actor_label=fit_to_column(PointsEntry, "actor_label", actor.label) if actor else "",
        reason=fit_to_column(PointsEntry, "reason", reason),
        data=data or {},
        created_at=now,
    )


def _credit(account: PointsAccount, *, points: int, now: datetime, **entry) -> PointsEntry:
    """Add points in a new lot that expires after the programme's number of months."""
    written = _append(account, delta=points, now=now, **entry)
    expires_at = add_months(timezone.localtime(now), Programme.current().expiry_months)
    PointsLot.objects.create(
        account=account, entry=written, points=points, remaining=points, expires_at=expires_at
    )
    return written


def _draw(
    account: PointsAccount, entry: PointsEntry, points: int, *, now: datetime, first: PointsLot | None = None
) -> None:
    """Take `points` from the lots that expire first (`first`, the lot being reversed, before them)."""
    lots = list(
        PointsLot.objects.filter(account=account, remaining__gt=0, expires_at__gt=now).order_by(
            "expires_at", "pk"
        )
    )
    if first is not None:
        lots.sort(key=lambda lot: lot.pk != first.pk)  # stable: the rest stay oldest first
    left = points
    for lot in lots:
        if not left:
            break
        take = min(lot.remaining, left)
        PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        LotUse.objects.create(entry=entry, lot=lot, points=take)
        left -= take
    assert left == 0, "the balance and the lots disagree"


def _expire_due_locked(account: PointsAccount, *, now: datetime) -> list[PointsEntry]:
    written = []
    due = PointsLot.objects.filter(account=account, remaining__gt=0, expires_at__lte=now).order_by(
        "expires_at", "pk"
    )
    for lot in due:
        entry = _append(
            account,
            kind=Kind.EXPIRED,
            delta=-lot.remaining,
            now=now,
            actor=EXPIRY,
            data={"lot": lot.pk, "expires_at": lot.expires_at.isoformat()},
        )
        LotUse.objects.create(entry=entry, lot=lot, points=lot.remaining)
        PointsLot.objects.filter(pk=lot.pk).update(remaining=0)
        written.append(entry)
    return written


def _locked(member: Member | int, now: datetime) -> PointsAccount:
    account = account_for_update(account_of(member).pk)
    _expire_due_locked(account, now=now)
    return account


# --- use cases ------------------------------------------------------------------------------------


def points_credit(
    *,
    member: Member | int,
    kind: str,
    points: int,
    key: str | None,
    actor: Actor,
    reason: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> PointsEntry | None:
    """Earn points (a purchase, a visit, a bonus, a referral); None when there is nothing to earn."""
    now = now or timezone.now()
    if points <= 0:
        return None
    with transaction.atomic():
        account = _locked(member, now)
        replay = _replay(key)
        if replay is not None:
            return replay
        return _credit(
            account, points=points, now=now, kind=kind, actor=actor, key=key, reason=reason, data=data
        )


def points_debit(
    *,
    member: Member | int,
    points: int,
    actor: Actor,
    kind: str = Kind.EXCHANGED,
    key: str | None = None,
    reason: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> PointsEntry:
    """Spend points, oldest-expiring first; refused when the balance is short."""
    now = now or timezone.now()
    if points <= 0:
        raise PointsMustChange()
    with transaction.atomic():
        account = _locked(member, now)
        replay = _replay(key)
        if replay is not None:
            return replay
        return points_debit_locked(
            account, points=points, actor=actor, kind=kind, key=key, reason=reason, data=data, now=now
        )


def points_debit_locked(
    account: PointsAccount,
    *,
    points: int,
    actor: Actor,
    kind: str,
    now: datetime,
    key: str | None = None,
    reason: str = "",
    data: dict | None = None,
) -> PointsEntry:
    """`points_debit` for a caller that already holds the account's lock (an exchange)."""
    if account.balance < points:
        raise InsufficientPoints(balance=account.balance, needed=points)
    entry = _append(
        account, kind=kind, delta=-points, now=now, actor=actor, key=key, reason=reason, data=data
    )
    _draw(account, entry, points, now=now)
    return entry


def points_return(
    *, entry: PointsEntry, actor: Actor, key: str, reason: str = "", now: datetime | None = None
) -> PointsEntry:
    """Give a debit's points back to the lots it drew from (an exchange cancelled). Points whose lot
    has expired meanwhile come back and expire at the next sweep, as they would have."""
    now = now or timezone.now()
    with transaction.atomic():
        account = account_for_update(entry.account_id)
        replay = _replay(key)
        if replay is not None:
            return replay
        if entry.reversals.exists():
            raise AlreadyReturned()
        returned = _append(
            account,
            kind=Kind.RETURNED,
            delta=-entry.delta,
            now=now,
            actor=actor,
            key=key,
            reason=reason,
            reverses=entry,
            data={"returns": entry.pk},
        )
        for use in entry.lot_uses.all():
            PointsLot.objects.filter(pk=use.lot_id).update(remaining=F("remaining") + use.points)
            LotUse.objects.create(entry=returned, lot_id=use.lot_id, points=-use.points)
        _expire_due_locked(account, now=now)
    return returned


def points_reverse(
    *,
    entry: PointsEntry,
    points: int,
    actor: Actor,
    key: str,
    reason: str = "",
    data: dict | None = None,
    now: datetime | None = None,
) -> PointsEntry | None:
    """Take back (part of) an earning: a refunded purchase, a reversed redemption.

    Never more than was earned and not yet reversed; never below zero: what the member has spent
    already cannot be taken back and is recorded as `shortfall`. None when nothing is left to take.
    """
    now = now or timezone.now()
    with transaction.atomic():
        account = account_for_update(entry.account_id)
        replay = _replay(key)
        if replay is not None:
            return replay
        _expire_due_locked(account, now=now)
        reversed_already = -sum(entry.reversals.values_list("delta", flat=True))
        wanted = max(0, min(points, entry.delta - reversed_already - _shortfalls(entry)))
        take = min(wanted, account.balance)
        if take == 0:
            return None
        written = _append(
            account,
            kind=Kind.REVERSED,
            delta=-take,
            now=now,
            actor=actor,
            key=key,
            reason=reason,
            reverses=entry,
            data={**(data or {}), "shortfall": wanted - take},
        )
        _draw(account, written, take, now=now, first=getattr(entry, "lot", None))
    return written


def _shortfalls(entry: PointsEntry) -> int:
    return sum(int(r.data.get("shortfall", 0)) for r in entry.reversals.all())


def points_adjust(
    *, member: Member | int, points: int, reason: str, actor: Actor, now: datetime | None = None
) -> PointsEntry:
    """Operations add or remove points by hand, always with a reason (the entry is the audit record)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    if points == 0:
        raise PointsMustChange()
    if points > 0:
        return points_credit(
            member=member, kind=Kind.ADJUSTED, points=points, key=None, actor=actor, reason=reason, now=now
        )
    return points_debit(
        member=member, points=-points, kind=Kind.ADJUSTED, actor=actor, reason=reason, now=now
    )


def points_expire_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    """The nightly sweep: expire every lot past its date, one account at a time; how many entries."""
    now = now or timezone.now()
    accounts = (
        PointsLot.objects.filter(remaining__gt=0, expires_at__lte=now)
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")[:limit]
    )
    written = 0
    for account_id in list(accounts):
        with transaction.atomic():
            written += len(_expire_due_locked(account_for_update(account_id), now=now))
    return written
