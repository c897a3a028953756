import time

from django.core.management.base import BaseCommand

from finance.services import facts_rebuild, facts_refresh
from members.actors import Actor
from reports.services import report_facts_rebuild, report_facts_refresh


class Command(BaseCommand):
    help = (
        "Rebuild the reports' summary tables from the voucher ledger and the records around it "
        "(idempotent). --refresh does only what the nightly job does: the recent months and changed orders."
    )

    def add_arguments(self, parser):
        parser.add_argument("--refresh", action="store_true", help="recompute only what can still change")

    def handle(self, *args, refresh: bool = False, **options):
        actor = Actor.system("rebuild_report_facts")
        run = report_facts_refresh(actor=actor) if refresh else report_facts_rebuild(actor=actor)
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(f"{run.get_kind_display()} from {run.since}: {seconds:.1f} s")
        # Finance's daily money facts (reports 5 and 6 read them) are rebuilt or refreshed alongside.
        started = time.monotonic()
        rows = facts_refresh() if refresh else facts_rebuild()
        what = "ledger entries read" if refresh else "daily rows"
        self.stdout.write(f"Money facts: {rows} {what} in {time.monotonic() - started:.1f} s")
