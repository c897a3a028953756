"""The voucher life cycle after issue: activate, hold, complete, release, redeem, reverse, void,
extend, lock and unlock, expire. Each locks the voucher row, re-checks the rules under the lock,
writes the new state and exactly one ledger entry, and replays an earlier call with the same
idempotency key instead of acting twice.
"""

from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.one_statement import Writes
from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Dealer, Member
from vehicles.models import Vehicle
from vehicles.selectors import vehicles_of_member

from .. import signals
from ..eligibility import ListedAt, Reason, voucher_ineligibility
from ..exceptions import (
    ActivationNotAllowed,
    AlreadyReversed,
    IdentityNotVerified,
    InvalidTransition,
    InvalidValidity,
    VoucherNotUsable,
)
from ..locks import voucher_for_use
from ..models import LedgerEntry, RefundRequest, Voucher, VoucherDefinition
from ..validity import validity_window
from ._ledger import (
    ledger_actor_columns,
    ledger_append,
    ledger_replay,
    ledger_replay_locked,
    require_reason,
    require_status,
    voucher_for_update,
)
from ._sql import insert_columns

Status = Voucher.Status
Kind = LedgerEntry.Kind
Mode = VoucherDefinition.ActivationMode


def _member_vehicle_ids(voucher: Voucher) -> set[int] | None:
    if voucher.member_id is None or voucher.vehicle_id is not None:
        return None
    return set(vehicles_of_member(Member(pk=voucher.member_id)).values_list("pk", flat=True))


def _require_usable(
    voucher: Voucher,
    *,
    vehicle: Vehicle | None,
    dealer: Dealer | None,
    now: datetime,
    allow_held: bool = False,
    listed: ListedAt | None = None,
) -> None:
    reasons = voucher_ineligibility(
        voucher,
        vehicle=vehicle,
        dealer=dealer,
        now=now,
        member_vehicle_ids=_member_vehicle_ids(voucher),
        allow_held=allow_held,
        listed=listed,
    )
    if reasons:
        raise VoucherNotUsable(reasons)


def voucher_activate(
    *,
    voucher: Voucher,
    via: str,
    member: Member | None = None,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    reason: str = "",
) -> LedgerEntry:
    """Activate an inactive voucher. `via` is "holder", "partner", "operations" or "system".

    A holder may activate only their own voucher of a holder-activated definition (with a verified
    identity when the definition asks); a partner only a partner-activated one; operations any.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        if replay := ledger_replay(locked, idempotency_key, Kind.ACTIVATED):
            return replay
        definition = locked.definition
        allowed = {"holder": Mode.HOLDER, "partner": Mode.PARTNER}.get(via)
        if via not in ("operations", "system") and definition.activation_mode != allowed:
            raise ActivationNotAllowed()
        if via == "holder":
            if member is None or not _holder_is(locked, member):
                raise ActivationNotAllowed()
            if definition.activation_requires_verified_identity and not member.identity_verified:
                raise IdentityNotVerified()
        require_status(locked, Status.INACTIVE)
        if locked.valid_until is not None and now > locked.valid_until:
            raise VoucherNotUsable([Reason.EXPIRED])
        before = locked.status
        locked.status = Status.ACTIVE
        locked.activated_at = now
        if definition.validity_policy == VoucherDefinition.ValidityPolicy.DAYS_FROM_ACTIVATION:
            locked.valid_from, locked.valid_until = validity_window(
                definition,
                issued_at=locked.issued_at,
                activated_at=now,
                delivery_date=None,
                series_index=locked.series_index,
            )
        entry = ledger_append(
            locked,
            kind=Kind.ACTIVATED,
            status_before=before,
            now=now,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
            data={"via": via},
        )
        signals.voucher_activated.send(Voucher, voucher=locked, entry=entry)
    return entry


def _holder_is(voucher: Voucher, member: Member) -> bool:
    if voucher.member_id is not None:
        return voucher.member_id == member.pk
    if voucher.vehicle_id is not None:
        return voucher.vehicle_id in set(vehicles_of_member(member).values_list("pk", flat=True))
    return False


def voucher_hold(
    *,
    voucher: Voucher,
    vehicle: Vehicle,
    dealer: Dealer,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    data: dict | None = None,
) -> LedgerEntry:
    """Start a service: one use is held so other terminals see the voucher as busy."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        if replay := ledger_replay(locked, idempotency_key, Kind.HELD):
            return replay
        _require_usable(locked, vehicle=vehicle, dealer=dealer, now=now)
        before = locked.status
        locked.status = Status.HELD
        return ledger_append(
            locked,
            kind=Kind.HELD,
            status_before=before,
            now=now,
            actor=actor,
            dealer=dealer,
            idempotency_key=idempotency_key,
            data=data,
        )


def voucher_complete_hold(
    *,
    voucher: Voucher,
    vehicle: Vehicle,
    dealer: Dealer,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    data: dict | None = None,
) -> LedgerEntry:
    """Complete a held service: the held use is consumed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        if replay := ledger_replay(locked, idempotency_key, Kind.REDEEMED):
            return replay
        require_status(locked, Status.HELD)
        _require_usable(locked, vehicle=vehicle, dealer=dealer, now=now, allow_held=True)
        return _consume(
            locked,
            before=Status.HELD,
            dealer=dealer,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
            data=data,
        )


def voucher_release_hold(
    *,
    voucher: Voucher,
    actor: Actor | None = None,
    reason: str = "",
    dealer: Dealer | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Cancel a held service (or time it out): the use returns, nothing is consumed."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        if replay := ledger_replay(locked, idempotency_key, Kind.HOLD_RELEASED):
            return replay
        require_status(locked, Status.HELD)
        locked.status = Status.ACTIVE
        return ledger_append(
            locked,
            kind=Kind.HOLD_RELEASED,
            status_before=Status.HELD,
            now=now,
            actor=actor,
            dealer=dealer,
            reason=reason,
            idempotency_key=idempotency_key,
        )


def voucher_redeem(
    *,
    voucher: Voucher,
    vehicle: Vehicle,
    dealer: Dealer,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    data: dict | None = None,
    reason: str = "",
) -> LedgerEntry:
    """Redeem one use in one step (`reason`: why operations redeemed it on a dealer's behalf)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = voucher_for_use(
            voucher.pk,
            idempotency_key=idempotency_key,
            vehicle_model_id=vehicle.model_id,
            dealer_id=dealer.pk,
        )
        return voucher_redeem_locked(
            voucher=locked,
            vehicle=vehicle,
            dealer=dealer,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
            data=data,
            reason=reason,
        )


def voucher_redeem_locked(
    *,
    voucher: Voucher,
    vehicle: Vehicle,
    dealer: Dealer,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    now: datetime,
    data: dict | None = None,
    reason: str = "",
    writes: Writes | None = None,
) -> LedgerEntry:
    """`voucher_redeem` for a caller that already holds the voucher's lock, taken with
    `voucher_for_use` for this vehicle, dealer and key, inside its own transaction (a redemption
    locks the vehicle first): no second lock, no savepoint, no second read of the rules.
    With `writes`, the voucher's UPDATE and its entry are queued there for the caller to run with
    its own (see `config.one_statement`); a replay queues nothing and answers the saved entry."""
    if replay := ledger_replay_locked(voucher, idempotency_key, Kind.REDEEMED):
        return replay
    listed = ListedAt(
        model=not voucher.model_listed_any or voucher.model_in_list,
        dealer=not voucher.dealers_listed_any or voucher.dealer_in_list,
    )
    _require_usable(voucher, vehicle=vehicle, dealer=dealer, now=now, listed=listed)
    return _consume(
        voucher,
        before=voucher.status,
        dealer=dealer,
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
        data=data,
        reason=reason,
        writes=writes,
    )


def _consume(
    locked: Voucher, *, before, dealer, actor, idempotency_key, now, data, reason: str = "", writes=None
) -> LedgerEntry:
    locked.uses_left -= 1
    locked.status = Status.USED if locked.uses_left == 0 else Status.ACTIVE
    return ledger_append(
        locked,
        kind=Kind.REDEEMED,
        delta=-1,
        status_before=before,
        now=now,
        actor=actor,
        dealer=dealer,
        reason=reason,
        idempotency_key=idempotency_key,
        data=data,
        writes=writes,
    )


def voucher_reverse_use(
    *,
    voucher: Voucher,
    redeemed_entry: LedgerEntry,
    reason: str,
    actor: Actor | None = None,
    dealer: Dealer | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Give back the use a redemption consumed; the ledger keeps both entries."""
    now = now or timezone.now()
    reason = require_reason(reason)
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        if replay := ledger_replay(locked, idempotency_key, Kind.REVERSED):
            return replay
        if redeemed_entry.voucher_id != locked.pk or redeemed_entry.kind != Kind.REDEEMED:
            raise InvalidTransition(status=locked.get_status_display())
        if LedgerEntry.objects.filter(
            voucher=locked, kind=Kind.REVERSED, data__reverses=redeemed_entry.pk
        ).exists():
            raise AlreadyReversed()
        require_status(locked, Status.ACTIVE, Status.USED, Status.EXPIRED)
        before = locked.status
        locked.uses_left += 1
        expired = locked.valid_until is not None and now > locked.valid_until
        locked.status = Status.EXPIRED if expired else Status.ACTIVE
        return ledger_append(
            locked,
            kind=Kind.REVERSED,
            delta=+1,
            status_before=before,
            now=now,
            actor=actor,
            dealer=dealer,
            reason=reason,
            idempotency_key=idempotency_key,
            data={"reverses": redeemed_entry.pk},
        )


def voucher_void(
    *,
    voucher: Voucher,
    reason: str,
    actor: Actor | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
    force: bool = False,
) -> LedgerEntry:
    """Cancel a voucher for good. `force` also voids a held voucher (ownership change)."""
    now = now or timezone.now()
    reason = require_reason(reason)
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        if replay := ledger_replay(locked, idempotency_key, Kind.VOIDED):
            return replay
        allowed = [Status.INACTIVE, Status.ACTIVE, Status.LOCKED] + ([Status.HELD] if force else [])
        require_status(locked, *allowed)
        before = locked.status
        locked.status = Status.VOIDED
        # A refund still waiting for a decision cannot be decided on a voided voucher: close it.
        RefundRequest.objects.filter(voucher=locked, status=RefundRequest.Status.PENDING).update(
            status=RefundRequest.Status.REJECTED,
            decided_at=now,
            decision_reason=fit_to_column(RefundRequest, "decision_reason", reason),
        )
        entry = ledger_append(
            locked,
            kind=Kind.VOIDED,
            status_before=before,
            now=now,
            actor=actor,
            reason=reason,
            idempotency_key=idempotency_key,
        )
        signals.voucher_voided.send(Voucher, voucher=locked, entry=entry)
    return entry


def voucher_extend(
    *,
    voucher: Voucher,
    valid_until: datetime,
    reason: str,
    actor: Actor | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Move the end of validity later; an expired voucher with uses left becomes usable again."""
    now = now or timezone.now()
    reason = require_reason(reason)
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        require_status(locked, Status.INACTIVE, Status.ACTIVE, Status.HELD, Status.LOCKED, Status.EXPIRED)
        old = locked.valid_until
        # No end (no expiry, or a window that starts at activation) cannot be moved later: any
        # date would shorten it, and would put an expiry on a paid voucher that must have none.
        if valid_until <= now or old is None or valid_until <= old:
            raise InvalidValidity()
        before = locked.status
        locked.valid_until = valid_until
        if before == Status.EXPIRED:
            if locked.uses_left == 0:
                raise InvalidTransition(status=locked.get_status_display())
            locked.status = Status.ACTIVE if locked.activated_at else Status.INACTIVE
        return ledger_append(
            locked,
            kind=Kind.EXTENDED,
            status_before=before,
            now=now,
            actor=actor,
            reason=reason,
            data={
                "valid_until_before": old.isoformat() if old else None,
                "valid_until_after": valid_until.isoformat(),
            },
        )


def voucher_lock(
    *, voucher: Voucher, reason: str, actor: Actor | None = None, now: datetime | None = None
) -> LedgerEntry:
    """Operations freeze a voucher (e.g. a dispute); it cannot be used until unlocked."""
    now = now or timezone.now()
    reason = require_reason(reason)
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        require_status(locked, Status.ACTIVE, Status.INACTIVE)
        before = locked.status
        locked.status = Status.LOCKED
        return ledger_append(
            locked,
            kind=Kind.LOCKED,
            status_before=before,
            now=now,
            actor=actor,
            reason=reason,
            data={"previous": before},
        )


def voucher_unlock(
    *, voucher: Voucher, reason: str, actor: Actor | None = None, now: datetime | None = None
) -> LedgerEntry:
    now = now or timezone.now()
    reason = require_reason(reason)
    with transaction.atomic():
        locked = voucher_for_update(voucher.pk)
        require_status(locked, Status.LOCKED)
        if locked.refund_requests.filter(status="pending").exists():
            raise InvalidTransition(
                _("A refund request is waiting for a decision; approve or reject it instead.")
            )
        locked.status = Status.ACTIVE if locked.activated_at else Status.INACTIVE
        return ledger_append(
            locked,
            kind=Kind.UNLOCKED,
            status_before=Status.LOCKED,
            now=now,
            actor=actor,
            reason=reason,
        )


def vouchers_expire_due(
    *, now: datetime | None = None, batch_size: int = 2000, max_batches: int | None = None
) -> int:
    """Mark every voucher past its validity as expired, batch by batch; returns how many.

    See `vouchers_expire_batch`. `max_batches` bounds one call.
    """
    now = now or timezone.now()
    total, after, batches = 0, 0, 0
    while after is not None and (max_batches is None or batches < max_batches):
        done, after = vouchers_expire_batch(now=now, after=after, batch_size=batch_size)
        total += done
        batches += 1
    return total


def vouchers_expire_batch(*, now: datetime, after: int, batch_size: int = 2000) -> tuple[int, int | None]:
    """Expire the next `batch_size` vouchers past their validity with an id above `after`, each with
    its EXPIRED ledger entry; returns (how many, the id to go on after, or None when none is left).

    Keyset-paged in id order, so a sweep reads the table once instead of restarting its scan for
    every batch, and the id is the job's checkpoint. Held vouchers wait for their hold to end and
    locked ones for the refund decision. Each batch is its own short transaction and skips rows
    another transaction has locked (such a voucher, past its validity, is refused by every use and
    expired by the next sweep), so the sweep can run beside the counter and be killed and resumed
    at any point.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            ids = _expire_postgresql(now=now, after=after, batch_size=batch_size)
        else:
            ids = _expire_objects(now=now, after=after, batch_size=batch_size)
        if ids:
            signals.vouchers_expired.send(Voucher, voucher_ids=ids, now=now)
    return len(ids), (ids[-1] if len(ids) == batch_size else None)


def _expired_entry(now: datetime) -> LedgerEntry:
    """The columns every EXPIRED entry of a sweep shares."""
    return LedgerEntry(
        kind=Kind.EXPIRED,
        delta=0,
        status_after=Status.EXPIRED,
        **ledger_actor_columns(Actor.system("expire")),
        created_at=now,
    )


def _expire_postgresql(*, now: datetime, after: int, batch_size: int) -> list[int]:
    """One statement: lock the batch, expire it, and append its ledger entries from the rows the
    UPDATE returned (the status each voucher had before)."""
    columns, select, params = insert_columns(
        _expired_entry(now),
        {"voucher_id": "id", "status_before": "status_before", "uses_left_after": "uses_left"},
    )
    voucher_table = Voucher._meta.db_table
    statement = f"""
        WITH due AS (
            SELECT id, status, uses_left FROM {voucher_table}
            WHERE id > %s AND status IN (%s, %s) AND valid_until < %s
            ORDER BY id
            LIMIT %s
            FOR NO KEY UPDATE SKIP LOCKED
        ), changed AS (
            UPDATE {voucher_table} AS v SET status = %s, status_changed_at = %s
            FROM due WHERE v.id = due.id
            RETURNING v.id, due.status AS status_before, due.uses_left
        )
        INSERT INTO {LedgerEntry._meta.db_table} ({columns})
        SELECT {select} FROM changed ORDER BY id
        RETURNING voucher_id
    """  # noqa: S608  (only model metadata is formatted in; every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(
            statement,
            [after, Status.INACTIVE, Status.ACTIVE, now, batch_size, Status.EXPIRED, now, *params],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _expire_objects(*, now: datetime, after: int, batch_size: int) -> list[int]:
    """The same batch through the ORM (SQLite: development and tests)."""
    batch = list(
        Voucher.objects.filter(pk__gt=after, status__in=[Status.INACTIVE, Status.ACTIVE], valid_until__lt=now)
        .order_by("pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", "status", "uses_left")[:batch_size]
    )
    ids = [pk for pk, _status, _left in batch]
    if not ids:
        return ids
    Voucher.objects.filter(pk__in=ids).update(status=Status.EXPIRED, status_changed_at=now)
    entry = _expired_entry(now)
    shared = {
        f.attname: getattr(entry, f.attname) for f in LedgerEntry._meta.concrete_fields if not f.primary_key
    }
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(**{**shared, "voucher_id": pk, "status_before": status, "uses_left_after": left})
            for pk, status, left in batch
        ],
        batch_size=1000,
    )
    return ids
