from ._job_command import JobCommand


class Command(JobCommand):
    help = "Hand every due notification (new, deferred, backed off, or with a lapsed claim) to the workers."
    job = "dispatch_notifications"
