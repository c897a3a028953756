"""Use cases of redemption: start a service (hold), complete, cancel, redeem in one step, reverse.

Each locks the vehicle row, then the voucher row (through the vouchers services), then re-checks
under the lock: an ownership transfer locks the vehicle and then the previous owner's vouchers of
that car, so taking them the other way round would deadlock with it.
The voucher's ledger entry and the Redemption row are written in one transaction. A replay with the
idempotency key of an earlier call returns that call's redemption and changes nothing.
"""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.one_statement import Writes
from config.stored_text import fit_to_column, stored_text
from config.task_outbox import task_queue
from members.actors import Actor
from members.models import Dealer
from vehicles.locks import vehicle_for_update
from vehicles.mileage import OdometerReplacement
from vehicles.models import Vehicle
from vehicles.services import (
    vehicle_mileage_check,
    vehicle_record_mileage,
    vehicle_record_use,
    vehicle_record_visit,
)
from vouchers.models import Voucher
from vouchers.services import (
    voucher_complete_hold,
    voucher_for_update,
    voucher_hold,
    voucher_redeem_locked,
    voucher_release_hold,
    voucher_reverse_use,
)

from . import signals
from .exceptions import (
    HoldNotOpen,
    InvalidMileage,
    RedemptionNotFound,
    RedemptionNotReversible,
    ReversalWindowPassed,
)
from .locks import redemption_for_update, voucher_for_redemption
from .models import Redemption

MAX_MILEAGE_KM = 2_000_000


def _clean_mileage(mileage_km: int | None) -> int | None:
    if mileage_km is None:
        return None
    if (
        not isinstance(mileage_km, int)
        or isinstance(mileage_km, bool)
        or not 0 <= mileage_km <= MAX_MILEAGE_KM
    ):
        raise InvalidMileage()
    return mileage_km


def _who(advisor, actor: Actor | None) -> Actor | None:
    """Who acted: the given actor, else the advisor at the counter."""
    if actor is not None:
        return actor
    return Actor.advisor(advisor) if advisor is not None else None


def _redemption_actor_columns(actor: Actor | None) -> dict:
    """How a redemption stores who made it: the readable label (80 characters; usernames have 150)
    and the partner key, if a key made it. The advisor is its own field."""
    if actor is None:
        return {"actor_label": "", "api_key_id": None}
    return {
        "actor_label": fit_to_column(Redemption, "actor_label", actor.label),
        "api_key_id": actor.api_key_id,
    }


def _after_use(
    redemption: Redemption,
    now: datetime,
    *,
    replacement: OdometerReplacement | None,
    advisor,
    actor: Actor | None,
) -> None:
    """Record the reading (refused, and the whole use with it, when below the car's last one)."""
    if redemption.mileage_km is not None:
        vehicle_record_mileage(
            vehicle=redemption.vehicle,
            km=redemption.mileage_km,
            source="redemption",
            replacement=replacement,
            recorded_by=advisor,
            actor_label=actor.label if actor else "",
            now=now,
        )
    vehicle_record_visit(vehicle=redemption.vehicle, now=now)


FOLLOWUPS_TASK = "redemption.tasks.redemption_followups"


def _queue_followups(*, writes: Writes | None = None, **redemption) -> None:
    """One task for every listener's follow-up work (`signals.redemption_committed`), queued in the
    redemption's transaction (`config.task_outbox`): it runs once the redemption commits, and only
    then. `redemption` names it by `redemption_id`, or (for a row `writes` has not written yet) by
    `voucher_id` and `idempotency_key`."""
    task_queue(FOLLOWUPS_TASK, writes=writes, **redemption)


def _replay(voucher: Voucher, idempotency_key: str) -> Redemption | None:
    return Redemption.objects.filter(voucher=voucher, idempotency_key=idempotency_key).first()


def _replayed(redemption: Redemption) -> Redemption:
    """Mark the answer of a call that changed nothing (see `Redemption.replayed`)."""
    redemption.replayed = True
    return redemption


def redemption_redeem(
    *,
    voucher: Voucher,
    vehicle: Vehicle,
    dealer: Dealer,
    idempotency_key: str,
    advisor=None,
    actor: Actor | None = None,
    channel: str = Redemption.Channel.COUNTER,
    mileage_km: int | None = None,
    odometer_replacement: OdometerReplacement | None = None,
    work_order: str = "",
    now: datetime | None = None,
    reason: str = "",
    before_commit: Callable[[Redemption], object] | None = None,
) -> Redemption:
    """Redeem one use in one step and record where, by whom, at what mileage (and, from the back
    office, why). A mileage below the car's last reading refuses the whole redemption unless
    `odometer_replacement` says why (`vehicles.mileage`).

    `before_commit(redemption)` runs inside the transaction, also for a replay: what it writes (the
    partner API's stored answer) commits with the redemption or not at all, and what it raises
    rolls the redemption back."""
    now = now or timezone.now()
    mileage_km = _clean_mileage(mileage_km)
    work_order = fit_to_column(Redemption, "work_order", work_order)
    # One transaction, each row locked once (vehicle, then voucher), the replay checks and the
    # definition's rules read with the voucher's lock, no nested atomic blocks, and on PostgreSQL
    # the voucher, its ledger entry, the redemption, the reading and the car written in one statement.
    with transaction.atomic():
        locked_vehicle = vehicle_for_update(vehicle.pk)
        locked = voucher_for_redemption(
            voucher.pk, idempotency_key=idempotency_key, vehicle=locked_vehicle, dealer=dealer
        )
        if locked.replay_redemption_id is not None:
            replay = _replayed(Redemption.objects.get(pk=locked.replay_redemption_id))
            if before_commit is not None:
                before_commit(replay)
            return replay
        actor = _who(advisor, actor)
        # The checks run as each write is queued; the writes go as one statement (PostgreSQL).
        writes = Writes()
        entry = voucher_redeem_locked(
            voucher=locked,
            vehicle=locked_vehicle,
            dealer=dealer,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
            data={"mileage_km": mileage_km, "work_order": work_order, "channel": channel},
            reason=reason,
            writes=writes,
        )
        redemption = Redemption(
            voucher=locked,
            vehicle=vehicle,
            dealer=dealer,
            advisor=advisor,
            channel=channel,
            **_redemption_actor_columns(actor),
            status=Redemption.Status.COMPLETED,
            mileage_km=mileage_km,
            work_order=work_order,
            idempotency_key=idempotency_key,
            started_at=now,
            completed_at=now,
            redeemed_entry=entry,
        )
        writes.insert(redemption)
        vehicle_record_use(
            vehicle=locked_vehicle,
            km=mileage_km,
            source="redemption",
            replacement=odometer_replacement,
            recorded_by=advisor,
            actor_label=actor.label if actor else "",
            now=now,
            writes=writes,
        )
        _queue_followups(writes=writes, voucher_id=locked.pk, idempotency_key=idempotency_key)
        writes.run()
        for name in ("last_mileage_km", "last_mileage_at", "last_visit_at"):
            setattr(vehicle, name, getattr(locked_vehicle, name))
        signals.voucher_redeemed.send(
            Redemption, redemption=redemption, webhook_endpoints_exist=locked.webhook_endpoints_exist
        )
        if before_commit is not None:
            before_commit(redemption)
    return redemption


def redemption_start(
    *,
    voucher: Voucher,
    vehicle: Vehicle,
    dealer: Dealer,
    idempotency_key: str,
    advisor=None,
    actor: Actor | None = None,
    channel: str = Redemption.Channel.COUNTER,
    mileage_km: int | None = None,
    odometer_replacement: OdometerReplacement | None = None,
    work_order: str = "",
    now: datetime | None = None,
) -> Redemption:
    """Start a service: hold one use of the voucher; other terminals see it as held.

    The mileage is checked now and recorded on completion; a replaced odometer's reading is
    recorded now, so it is the baseline the completion is checked against.
    """
    now = now or timezone.now()
    mileage_km = _clean_mileage(mileage_km)
    work_order = fit_to_column(Redemption, "work_order", work_order)
    with transaction.atomic():
        locked_vehicle = vehicle_for_update(vehicle.pk)
        locked = voucher_for_update(voucher.pk)
        if replay := _replay(locked, idempotency_key):
            return _replayed(replay)
        actor = _who(advisor, actor)
        voucher_hold(
            voucher=locked,
            vehicle=vehicle,
            dealer=dealer,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
        )
        if mileage_km is not None:
            if odometer_replacement is None:
                vehicle_mileage_check(vehicle=locked_vehicle, km=mileage_km)
            else:
                vehicle_record_mileage(
                    vehicle=locked_vehicle,
                    km=mileage_km,
                    source="redemption",
                    replacement=odometer_replacement,
                    recorded_by=advisor,
                    actor_label=actor.label if actor else "",
                    now=now,
                )
        return Redemption.objects.create(
            voucher=locked,
            vehicle=vehicle,
            dealer=dealer,
            advisor=advisor,
            channel=channel,
            **_redemption_actor_columns(actor),
            status=Redemption.Status.HELD,
            mileage_km=mileage_km,
            work_order=work_order,
            idempotency_key=idempotency_key,
            started_at=now,
        )


def _lock_redemption(redemption: Redemption, dealer: Dealer | None) -> tuple[Voucher, Redemption]:
    vehicle_for_update(redemption.vehicle_id)
    voucher = voucher_for_update(redemption.voucher_id)
    locked = redemption_for_update(redemption.pk)
    if dealer is not None and locked.dealer_id != dealer.pk:
        raise RedemptionNotFound()
    return voucher, locked


def redemption_complete(
    *,
    redemption: Redemption,
    idempotency_key: str,
    dealer: Dealer | None = None,
    advisor=None,
    actor: Actor | None = None,
    mileage_km: int | None = None,
    odometer_replacement: OdometerReplacement | None = None,
    work_order: str | None = None,
    now: datetime | None = None,
) -> Redemption:
    """Complete a held service: the use is consumed. `dealer` scopes the call to one dealer.
    The mileage (typed now, or given at the start) is refused below the car's last reading unless
    `odometer_replacement` says why."""
    now = now or timezone.now()
    mileage_km = _clean_mileage(mileage_km)
    with transaction.atomic():
        voucher, locked = _lock_redemption(redemption, dealer)
        if (
            locked.status == Redemption.Status.COMPLETED
            and locked.redeemed_entry.idempotency_key == idempotency_key
        ):
            return _replayed(locked)
        if locked.status != Redemption.Status.HELD:
            raise HoldNotOpen()
        if mileage_km is not None:
            locked.mileage_km = mileage_km
        if work_order is not None:
            locked.work_order = fit_to_column(Redemption, "work_order", work_order)
        actor = _who(advisor or locked.advisor, actor)
        entry = voucher_complete_hold(
            voucher=voucher,
            vehicle=locked.vehicle,
            dealer=locked.dealer,
            actor=actor,
            idempotency_key=idempotency_key,
            now=now,
            data={
                "mileage_km": locked.mileage_km,
                "work_order": locked.work_order,
                "channel": locked.channel,
            },
        )
        locked.status = Redemption.Status.COMPLETED
        locked.completed_at = now
        locked.redeemed_entry = entry
        locked.save(update_fields=["status", "completed_at", "redeemed_entry", "mileage_km", "work_order"])
        _after_use(
            locked, now, replacement=odometer_replacement, advisor=advisor or locked.advisor, actor=actor
        )
        signals.voucher_redeemed.send(Redemption, redemption=locked)
        _queue_followups(redemption_id=locked.pk)
    return locked


def redemption_cancel(
    *,
    redemption: Redemption,
    dealer: Dealer | None = None,
    actor: Actor | None = None,
    reason: str = "",
    now: datetime | None = None,
) -> Redemption:
    """Cancel a held service (or time it out): the held use returns to the voucher."""
    now = now or timezone.now()
    with transaction.atomic():
        voucher, locked = _lock_redemption(redemption, dealer)
        if locked.status == Redemption.Status.CANCELLED:
            return _replayed(locked)
        if locked.status != Redemption.Status.HELD:
            raise HoldNotOpen()
        # The voucher's hold can already have ended without this redemption (a held first-owner
        # voucher is voided when the car changes owner): then there is no use to give back.
        if voucher.status == Voucher.Status.HELD:
            voucher_release_hold(
                voucher=voucher,
                actor=actor,
                reason=reason,
                dealer=locked.dealer,
                idempotency_key=f"cancel:{locked.pk}",
                now=now,
            )
        locked.status = Redemption.Status.CANCELLED
        locked.cancelled_at = now
        locked.save(update_fields=["status", "cancelled_at"])
    return locked


def redemption_reverse(
    *,
    redemption: Redemption,
    reason: str,
    actor: Actor | None = None,
    dealer: Dealer | None = None,
    enforce_window: bool = True,
    now: datetime | None = None,
) -> Redemption:
    """Reverse a completed redemption: the use returns to the voucher; the ledger shows both.

    Within the configured window for the counter and partners; operations may pass
    `enforce_window=False`. Permission to reverse is checked by the interface.
    """
    now = now or timezone.now()
    with transaction.atomic():
        voucher, locked = _lock_redemption(redemption, dealer)
        if locked.status == Redemption.Status.REVERSED:
            return _replayed(locked)
        if locked.status != Redemption.Status.COMPLETED:
            raise RedemptionNotReversible()
        if enforce_window and now - locked.completed_at > settings.REDEMPTION_REVERSAL_WINDOW:
            raise ReversalWindowPassed()
        voucher_reverse_use(
            voucher=voucher,
            redeemed_entry=locked.redeemed_entry,
            reason=reason,
            actor=actor,
            dealer=locked.dealer,
            idempotency_key=f"reverse:{locked.pk}",
            now=now,
        )
        locked.status = Redemption.Status.REVERSED
        locked.reversed_at = now
        locked.reversed_by_id = actor.user_id if actor is not None else None
        locked.reversal_reason = fit_to_column(Redemption, "reversal_reason", reason.strip())
        locked.save(update_fields=["status", "reversed_at", "reversed_by", "reversal_reason"])
        signals.redemption_reversed.send(Redemption, redemption=locked)
    return locked


def holds_release_stale(*, older_than: datetime | None = None, now: datetime | None = None) -> int:
    """Cancel counter holds started before `older_than` (default: the configured hold timeout)."""
    now = now or timezone.now()
    cutoff = older_than or now - settings.REDEMPTION_HOLD_TIMEOUT
    released = 0
    stale = Redemption.objects.filter(status=Redemption.Status.HELD, started_at__lt=cutoff).only(
        "pk", "voucher_id"
    )
    for redemption in stale.order_by("pk"):
        try:
            redemption_cancel(
                redemption=redemption,
                actor=Actor.system("hold-timeout"),
                reason=stored_text(_("Hold timed out.")),
                now=now,
            )
        except HoldNotOpen:
            continue
        released += 1
    return released


# --- Counter accounts -----------------------------------------------------------------------------


def counter_reversal_permission_set(*, user, allowed: bool) -> None:
    """Grant or withdraw the permission to reverse redemptions at the counter."""
    from django.contrib.auth.models import Permission

    permission = Permission.objects.get(content_type__app_label="redemption", codename="reverse_redemption")
    with transaction.atomic():
        if allowed:
            user.user_permissions.add(permission)
        else:
            user.user_permissions.remove(permission)
    # Django caches permissions on the instance; drop the cache so the change is seen at once.
    for cache in ("_perm_cache", "_user_perm_cache"):
        user.__dict__.pop(cache, None)


def counter_account_save(
    *,
    username: str,
    dealer: Dealer,
    role: str,
    display_name: str = "",
    password: str | None = None,
    can_reverse: bool | None = None,
):
    """Create or update a counter log-in: the user, its dealer and role, optionally its password and
    its reversal permission. A new user without a password cannot sign in until one is set."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    from members.services import dealer_staff_assign

    user_model = get_user_model()
    with transaction.atomic():
        user, created = user_model.objects.select_for_update().get_or_create(username=username)
        if password is not None:
            validate_password(password, user)
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        if created or password is not None:
            user.save()
        staff = dealer_staff_assign(user=user, dealer=dealer, role=role, display_name=display_name)
        if can_reverse is not None:
            counter_reversal_permission_set(user=user, allowed=can_reverse)
    return staff
