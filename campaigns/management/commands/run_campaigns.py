from ._job_command import JobCommand


class Command(JobCommand):
    help = "Run the lifecycle programmes (new-car care, birthday, anniversary, win-back) and due campaigns."
    job = "run_campaigns"

    def add_arguments(self, parser):
        parser.add_argument(
            "--only-campaigns", action="store_true", help="only start and serve campaigns that are due"
        )

    def handle(self, *args, only_campaigns=False, **options):
        if only_campaigns:
            self.job = "start_due_campaigns"
        super().handle(*args, **options)
