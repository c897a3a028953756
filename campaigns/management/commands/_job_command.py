"""A management command that runs one nightly job to the end in this process (for cron or by hand)."""

import json

from django.core.management.base import BaseCommand

from campaigns.jobs import job_run


class JobCommand(BaseCommand):
    job = ""

    def handle(self, *args, **options):
        run = job_run(self.job)
        summary = ", ".join(f"{key}: {value}" for key, value in run.result.items())
        self.stdout.write(f"{self.job} finished ({run.get_status_display()}) — {summary or 'nothing to do'}")
        if options.get("verbosity", 1) > 1:
            self.stdout.write(json.dumps(run.result))
