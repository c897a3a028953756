from django.core.management.base import BaseCommand, CommandError

from loyalty.models import PointsAccount
from loyalty.selectors import points_drift


class Command(BaseCommand):
    help = "Recompute every points balance from the ledger; exit non-zero if any drift."

    def add_arguments(self, parser):
        parser.add_argument("--show", type=int, default=20, help="how many drifting accounts to list")

    def handle(self, *args, show: int, **options):
        accounts, lots = points_drift()
        count, lot_count = accounts.count(), lots.count()
        self.stdout.write(f"points accounts checked: {PointsAccount.objects.count()}")
        self.stdout.write(f"accounts drifting from the ledger: {count}")
        self.stdout.write(f"lots drifting from their uses: {lot_count}")
        for account in accounts[:show]:
            self.stdout.write(
                f"  member {account.member_id}: balance={account.balance} ledger={account.ledger_balance} "
                f"lots={account.lots_balance} last_entry={account.last_balance}"
            )
        for lot in lots[:show]:
            self.stdout.write(
                f"  lot {lot.pk}: remaining={lot.remaining} points={lot.points} used={lot.used}"
            )
        if count or lot_count:
            raise CommandError(f"{count} account(s) and {lot_count} lot(s) drift from the points ledger")
