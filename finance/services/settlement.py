"""Dealer settlement statements: drafted from the ledger, approved by Finance (numbered, frozen),
exported. Corrections after approval are never written into an approved statement: whatever it
did not settle is picked up by the next one as an adjustment."""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from members.actors import Actor
from members.models import Dealer

from ..exceptions import StatementLocked, StatementMonthOpen, StatementNotApproved
from ..locks import statement_for_update
from ..models import SettlementLine, SettlementStatement
from ..periods import month_bounds, month_start
from ..settlement_lines import balance, lines_for

Status = SettlementStatement.Status


def _locked_draft(dealer: Dealer, month: date) -> SettlementStatement:
    statement = SettlementStatement.objects.filter(dealer=dealer, month=month).first()
    if statement is None:
        try:
            with transaction.atomic():
                statement = SettlementStatement.objects.create(dealer=dealer, month=month)
        except IntegrityError:  # another draft of the same dealer and month won the race
            statement = SettlementStatement.objects.get(dealer=dealer, month=month)
    locked = statement_for_update(statement.pk)
    if locked.status != Status.DRAFT:
        raise StatementLocked()
    return locked


def statement_draft(
    *, dealer: Dealer, month: date, actor: Actor, now: datetime | None = None
) -> SettlementStatement:
    """Create or recompute the draft statement of `dealer` for `month` from everything not yet
    settled up to the month's end. Refused once the statement is approved."""
    now = now or timezone.now()
    month = month_start(month)
    with transaction.atomic():
        statement = _locked_draft(dealer, month)
        statement.lines.all().delete()
        lines = lines_for(dealer=dealer, month=month)
        for line in lines:
            line.statement = statement
        SettlementLine.objects.bulk_create(lines, batch_size=1000)
        statement.owed_to_dealer_twd, statement.owed_by_dealer_twd = balance(lines)
        statement.total_twd = statement.owed_to_dealer_twd - statement.owed_by_dealer_twd
        statement.drafted_at = now
        statement.save(update_fields=["owed_to_dealer_twd", "owed_by_dealer_twd", "total_twd", "drafted_at"])
    return statement


def statements_draft_month(
    *, month: date, actor: Actor, dealer: Dealer | None = None, now: datetime | None = None
) -> list[SettlementStatement]:
    """Draft (or recompute) the month's statement of every dealer, or of one; approved ones are kept."""
    dealers = [dealer] if dealer is not None else list(Dealer.objects.order_by("pk"))
    drafted = []
    for each in dealers:
        try:
            drafted.append(statement_draft(dealer=each, month=month, actor=actor, now=now))
        except StatementLocked:
            continue
    return drafted


def statement_number(statement: SettlementStatement) -> str:
    return f"ST-{statement.month:%Y%m}-{statement.dealer.code}"


def statement_approve(
    *, statement: SettlementStatement, actor: Actor, now: datetime | None = None
) -> SettlementStatement:
    """Approve a draft as it stands: it gets its number and never changes again."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = statement_for_update(statement.pk)
        if locked.status != Status.DRAFT:
            raise StatementLocked()
        _start, end = month_bounds(locked.month)
        if now < end:
            raise StatementMonthOpen()
        locked.status = Status.APPROVED
        locked.number = statement_number(locked)
        locked.approved_at = now
        locked.approved_by_id = actor.user_id
        locked.save(update_fields=["status", "number", "approved_at", "approved_by"])
    return locked


def statement_export(
    *, statement: SettlementStatement, actor: Actor, now: datetime | None = None
) -> SettlementStatement:
    """Mark an approved statement exported (its file is `finance.exports.statement_rows`); exporting
    again changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = statement_for_update(statement.pk)
        if locked.status == Status.DRAFT:
            raise StatementNotApproved()
        if locked.status == Status.APPROVED:
            locked.status = Status.EXPORTED
            locked.exported_at = now
            locked.save(update_fields=["status", "exported_at"])
    return locked
