from django.core.management.base import BaseCommand, CommandError

from vouchers.models import Voucher
from vouchers.selectors import ledger_drift


class Command(BaseCommand):
    help = "Recompute every voucher's uses and status from the ledger; exit non-zero if any drift."

    def add_arguments(self, parser):
        parser.add_argument("--show", type=int, default=20, help="how many drifting vouchers to list")

    def handle(self, *args, show: int, **options):
        total = Voucher.objects.count()
        drifting = ledger_drift()
        count = drifting.count()
        self.stdout.write(f"vouchers checked: {total}")
        self.stdout.write(f"vouchers drifting from the ledger: {count}")
        for voucher in drifting.order_by("pk")[:show]:
            self.stdout.write(
                f"  {voucher.code_display}: status={voucher.status} ledger_status={voucher.ledger_status} "
                f"uses_left={voucher.uses_left} ledger_uses={voucher.ledger_uses}"
            )
        if count:
            raise CommandError(f"{count} voucher(s) drift from the ledger")
