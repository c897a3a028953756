"""The ledger, the primitive every voucher use case is built on (with the row locks of `..locks`)."""

from datetime import datetime

from config.one_statement import Writes
from config.stored_text import fit_to_column
from members.actors import Actor

from ..exceptions import IdempotencyKeyReused, InvalidTransition, ReasonRequired
from ..locks import voucher_for_update, vouchers_for_update  # noqa: F401  (imported from here)
from ..models import LedgerEntry, Voucher

Status = Voucher.Status
# What a ledger entry explains: the voucher's columns every change saves with it.
VOUCHER_STATE_FIELDS = [
    "status",
    "uses_left",
    "valid_from",
    "valid_until",
    "activated_at",
    "status_changed_at",
]


def ledger_replay(voucher: Voucher, idempotency_key: str | None, kind: str) -> LedgerEntry | None:
    """The entry an earlier call with this key wrote, if any; a key reused for another action is refused."""
    if not idempotency_key:
        return None
    entry = LedgerEntry.objects.filter(voucher=voucher, idempotency_key=idempotency_key).first()
    if entry is not None and entry.kind != kind:
        raise IdempotencyKeyReused()
    if entry is not None:
        entry.replayed = True
    return entry


def ledger_replay_locked(voucher: Voucher, idempotency_key: str | None, kind: str) -> LedgerEntry | None:
    """`ledger_replay` for a voucher locked with `voucher_for_use`, which already read whether an
    entry with this key exists: the entry is loaded only when there is one."""
    if not idempotency_key or getattr(voucher, "key_entry_id", None) is None:
        return None
    if voucher.key_entry_kind != kind:
        raise IdempotencyKeyReused()
    entry = LedgerEntry.objects.get(pk=voucher.key_entry_id)
    entry.replayed = True
    return entry


def require_status(voucher: Voucher, *allowed: str) -> None:
    if voucher.status not in allowed:
        raise InvalidTransition(status=voucher.get_status_display())


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def ledger_actor_columns(actor: Actor | None) -> dict:
    """How a ledger entry stores who acted: the user, if any, and the readable label."""
    if actor is None:
        return {"actor_id": None, "actor_label": ""}
    return {"actor_id": actor.user_id, "actor_label": fit_to_column(LedgerEntry, "actor_label", actor.label)}


def ledger_append(
    voucher: Voucher,
    *,
    kind: str,
    status_before: str,
    now: datetime,
    delta: int = 0,
    actor: Actor | None = None,
    dealer=None,
    reason: str = "",
    idempotency_key: str | None = None,
    data: dict | None = None,
    writes: Writes | None = None,
) -> LedgerEntry:
    """Save the voucher's new state and append the entry that explains it, in the caller's transaction.
    With `writes`, both are queued there (the caller runs them with its own writes, in one statement
    on PostgreSQL) and the entry has its key once they ran."""
    if voucher.status != status_before:
        voucher.status_changed_at = now
    entry = LedgerEntry(
        voucher=voucher,
        kind=kind,
        delta=delta,
        status_before=status_before,
        status_after=voucher.status,
        uses_left_after=voucher.uses_left,
        **ledger_actor_columns(actor),
        dealer=dealer,
        reason=fit_to_column(LedgerEntry, "reason", reason),
        idempotency_key=idempotency_key or None,
        data=data or {},
        created_at=now,
    )
    if writes is None:
        voucher.save(update_fields=VOUCHER_STATE_FIELDS)
        entry.save(force_insert=True)
    else:
        writes.update(voucher, VOUCHER_STATE_FIELDS)
        writes.insert(entry)
    return entry
