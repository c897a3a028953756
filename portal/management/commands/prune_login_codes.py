from datetime import timedelta

from django.core.management.base import BaseCommand

from portal.services import login_codes_prune


class Command(BaseCommand):
    help = "Delete sign-in codes that expired more than --days ago (default 1)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=1)

    def handle(self, *args, days: int, **options):
        deleted = login_codes_prune(older_than=timedelta(days=days))
        self.stdout.write(f"{deleted} sign-in codes deleted")
