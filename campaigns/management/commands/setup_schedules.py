from croniter import croniter
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.models import Schedule

from campaigns.schedules import JOBS, OUR_PACKAGES


class Command(BaseCommand):
    help = "Create or update every django-q2 schedule (idempotent); removes our schedules no longer listed."

    def handle(self, *args, **options):
        names = {job.name for job in JOBS}
        with transaction.atomic():
            for job in JOBS:
                schedule = Schedule.objects.select_for_update().filter(name=job.name).first()
                if schedule is None:
                    Schedule.objects.create(
                        name=job.name, func=job.func, schedule_type=Schedule.CRON, cron=job.cron, repeats=-1
                    )
                    self.stdout.write(f"created schedule {job.name} ({job.cron})")
                    continue
                changed = (schedule.func, schedule.cron, schedule.schedule_type, schedule.repeats) != (
                    job.func,
                    job.cron,
                    Schedule.CRON,
                    -1,
                )
                if changed:
                    schedule.func, schedule.cron = job.func, job.cron
                    schedule.schedule_type, schedule.repeats = Schedule.CRON, -1
                    schedule.next_run = croniter(job.cron, timezone.localtime()).get_next(
                        type(timezone.now())
                    )
                    schedule.save()
                self.stdout.write(f"{'updated' if changed else 'unchanged'} schedule {job.name} ({job.cron})")
            ours = Q(pk__in=[])
            for package in OUR_PACKAGES:
                ours |= Q(func__startswith=package)
            stale = Schedule.objects.filter(ours).exclude(name__in=names)
            for name in stale.values_list("name", flat=True):
                self.stdout.write(f"removed schedule {name}")
            stale.delete()
