from django.core.management.base import BaseCommand

from campaigns.jobs import expire_vouchers


class Command(BaseCommand):
    help = "Mark vouchers past their validity as expired and release stale counter holds."

    def handle(self, *args, **options):
        result = expire_vouchers()
        self.stdout.write(f"expired: {result['expired']}, holds released: {result['holds_released']}")
