import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from campaigns.demo.accounts import DEALERS
from campaigns.demo.seed import seed
from members.models import Dealer


class Command(BaseCommand):
    help = (
        "Load the demo data set (3 dealers, 200+ owners, 300+ vehicles, ~2,000 vouchers). Safe to run twice."
    )

    def handle(self, *args, **options):
        if Dealer.objects.filter(code=DEALERS[0][0]).exists():
            self.stdout.write("Demo data already present; nothing to do.")
            call_command("setup_groups", demo_users=True, stdout=self.stdout)
            return
        started = time.monotonic()
        summary = seed()
        self.stdout.write(
            f"Demo data loaded in {time.monotonic() - started:.1f}s: {summary.dealers} dealers, "
            f"{summary.members} members, {summary.vehicles} vehicles, {summary.definitions} definitions, "
            f"{summary.vouchers} vouchers, {summary.redemptions} redemptions."
        )
        call_command("setup_groups", demo_users=True, stdout=self.stdout)
