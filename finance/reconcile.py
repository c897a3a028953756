"""Statements against the ledger: every funded use and reversal, and every counter sale, up to a
month's end is on exactly one statement at its price, and each statement adds up."""

from datetime import date

from django.db.models import Count, Sum

from members.models import Dealer
from vouchers.models import LedgerEntry

from .models import SettlementLine, SettlementStatement
from .periods import month_bounds
from .settlement_lines import lines_for


def settlement_reconcile(*, through: date) -> list[str]:
    """Every difference found (empty when the statements agree with the ledger); `through` is the
    last month settled."""
    problems: list[str] = []
    for dealer in Dealer.objects.order_by("pk"):
        for missing in lines_for(dealer=dealer, month=through):
            problems.append(f"{dealer.code}: {missing.source_key} is on no statement")
    for statement in SettlementStatement.objects.annotate(sum=Sum("lines__amount_twd"), n=Count("lines")):
        if (statement.sum or 0) != statement.total_twd:
            problems.append(f"{statement}: lines add up to {statement.sum}, total says {statement.total_twd}")
    lines = SettlementLine.objects.filter(ledger_entry__isnull=False).select_related(
        "ledger_entry", "statement"
    )
    for line in lines:
        entry: LedgerEntry = line.ledger_entry
        expected_kind = {"redeemed": "redemption", "reversed": "reversal"}.get(entry.kind)
        if line.kind != expected_kind or line.quantity != -entry.delta:
            problems.append(f"{line.statement}: {line.source_key} does not match its ledger entry")
        if entry.created_at >= month_bounds(line.statement.month)[1]:
            problems.append(f"{line.statement}: {line.source_key} happened after the statement's month")
    return problems
