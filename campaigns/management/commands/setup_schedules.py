from django.core.management.base import BaseCommand
from django_q.models import Schedule

from campaigns.schedules import JOBS


class Command(BaseCommand):
    help = "Create or update every django-q2 schedule (idempotent)."

    def handle(self, *args, **options):
        for job in JOBS:
            _schedule, created = Schedule.objects.update_or_create(
                name=job.name,
                defaults={"func": job.func, "schedule_type": Schedule.CRON, "cron": job.cron, "repeats": -1},
            )
            self.stdout.write(f"{'created' if created else 'updated'} schedule {job.name} ({job.cron})")
