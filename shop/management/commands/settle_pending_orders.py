"""Ask ECPay about orders waiting for payment; apply what was paid, expire what ran out unpaid."""

from django.core.management.base import BaseCommand

from shop.tasks import settle_pending_orders


class Command(BaseCommand):
    help = "Settle orders whose payment notification has not come (QueryTradeInfo)."

    def handle(self, *args, **options):
        counts = settle_pending_orders()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
