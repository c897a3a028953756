"""Daily money facts: kept current from the ledger by a job, rebuilt from it by a command."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vouchers.models import LedgerEntry

from ..ledger_reading import iterate, paid_entries, sum_by_day_category
from ..models import FactsState, MoneyFact

STATE = "money"
COLUMNS = {
    "sales": "sales_twd",
    "used": "used_twd",
    "uses": "uses",
    "released": "released_twd",
    "refunded": "refunded_twd",
    "written_off": "written_off_twd",
    "open_uses": "open_uses",
}


def _state_for_update() -> FactsState:
    FactsState.objects.get_or_create(name=STATE)
    return FactsState.objects.select_for_update().get(name=STATE)


def _add(sums) -> None:
    for (day, category), values in sums.items():
        fields = {COLUMNS[k]: v for k, v in values.items()}
        if not any(fields.values()):
            continue
        updated = MoneyFact.objects.filter(day=day, category=category).update(
            **{column: F(column) + value for column, value in fields.items()}
        )
        if not updated:
            MoneyFact.objects.create(day=day, category=category, **fields)


def facts_refresh(*, now: datetime | None = None, lag: timedelta = timedelta(seconds=60)) -> int:
    """Add the ledger entries written since the last refresh to the facts; returns how many were read.

    Entries of the last `lag` are left to the next run, so that a transaction still open when this
    one reads (a lower id committed later) is not skipped; the nightly rebuild is the backstop.
    Runs under a lock on the state row: two workers never add the same entries twice."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state_for_update()
        horizon = (
            LedgerEntry.objects.filter(pk__gt=state.last_ledger_id, created_at__lte=now - lag)
            .order_by("-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if horizon is None:
            state.refreshed_at = now
            state.save(update_fields=["refreshed_at"])
            return 0
        rows = paid_entries(LedgerEntry.objects.filter(pk__gt=state.last_ledger_id, pk__lte=horizon))
        sums, _last = sum_by_day_category(iterate(rows))
        _add(sums)
        read = horizon - state.last_ledger_id
        state.last_ledger_id = horizon
        state.refreshed_at = now
        state.save(update_fields=["last_ledger_id", "refreshed_at"])
    return read


def facts_rebuild(*, now: datetime | None = None) -> int:
    """Throw the facts away and sum the whole ledger again; returns the number of fact rows."""
    now = now or timezone.now()
    with transaction.atomic():
        state = _state_for_update()
        last = LedgerEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        MoneyFact.objects.all().delete()
        sums, _read = sum_by_day_category(iterate(paid_entries(LedgerEntry.objects.filter(pk__lte=last))))
        MoneyFact.objects.bulk_create(
            [
                MoneyFact(day=day, category=category, **{COLUMNS[k]: v for k, v in values.items()})
                for (day, category), values in sums.items()
            ],
            batch_size=1000,
        )
        state.last_ledger_id = last
        state.rebuilt_at = state.refreshed_at = now
        state.save(update_fields=["last_ledger_id", "rebuilt_at", "refreshed_at"])
    return len(sums)
