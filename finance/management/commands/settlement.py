"""Finance's automation: a month's settlement statements as CSV (approved or draft as stored; a
dealer with no statement yet is shown as a preview, nothing saved). `--draft` drafts them first."""

import csv

from django.core.management.base import BaseCommand, CommandError

from finance.exports import STATEMENT_COLUMNS, statement_rows
from finance.models import SettlementStatement
from finance.periods import parse_month
from finance.services import statements_draft_month
from finance.settlement_lines import lines_for
from members.actors import Actor
from members.models import Dealer


class Command(BaseCommand):
    help = "settlement --month YYYY-MM [--dealer CODE] [--draft] --format csv"

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True)
        parser.add_argument("--dealer")
        parser.add_argument("--draft", action="store_true", help="draft (or recompute) the statements first")
        parser.add_argument("--format", default="csv", choices=["csv"])

    def handle(self, *args, month, dealer, draft, **options):
        try:
            first = parse_month(month)
        except ValueError as exc:
            raise CommandError(f"not a month (YYYY-MM): {month!r}") from exc
        dealers = Dealer.objects.order_by("code")
        if dealer:
            dealers = dealers.filter(code=dealer)
            if not dealers.exists():
                raise CommandError(f"no dealer with the code {dealer!r}")
        if draft:
            for each in dealers:
                statements_draft_month(month=first, dealer=each, actor=Actor.system("settlement"))
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(STATEMENT_COLUMNS)
        for each in dealers:
            statement = SettlementStatement.objects.filter(dealer=each, month=first).first()
            if statement is not None:
                writer.writerows(statement_rows(statement))
            else:
                preview = SettlementStatement(dealer=each, month=first)
                writer.writerows(statement_rows(preview, lines_for(dealer=each, month=first)))
