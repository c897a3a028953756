"""Finance's automation: the liability at a date and the deferred-revenue roll-forward, as CSV."""

import csv
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from finance.exports import (
    LIABILITY_COLUMNS,
    REVENUE_COLUMNS,
    ROLLFORWARD_COLUMNS,
    liability_rows,
    revenue_rows,
    rollforward_rows,
)
from finance.selectors import liability_at, revenue_by_month, rollforward


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = (
        "finance_report liability --as-of YYYY-MM-DD | rollforward --from D --to D | "
        "revenue --from D --to D; --format csv (Asia/Taipei days, whole NT$)."
    )

    def add_arguments(self, parser):
        parser.add_argument("report", choices=["liability", "rollforward", "revenue"])
        parser.add_argument("--as-of", dest="as_of")
        parser.add_argument("--from", dest="first")
        parser.add_argument("--to", dest="last")
        parser.add_argument("--format", default="csv", choices=["csv"])

    def handle(self, *args, report, as_of, first, last, **options):
        writer = csv.writer(self.stdout, lineterminator="\n")
        if report == "liability":
            if not as_of:
                raise CommandError("--as-of is required")
            writer.writerow(LIABILITY_COLUMNS)
            writer.writerows(liability_rows(liability_at(as_of=_date(as_of))))
            return
        if not first or not last:
            raise CommandError("--from and --to are required")
        start, end = _date(first), _date(last)
        if end < start:
            raise CommandError("--to is before --from")
        if report == "rollforward":
            writer.writerow(ROLLFORWARD_COLUMNS)
            writer.writerows(rollforward_rows(rollforward(first=start, last=end)))
        else:
            writer.writerow(REVENUE_COLUMNS)
            writer.writerows(revenue_rows(revenue_by_month(first=start, last=end)))
