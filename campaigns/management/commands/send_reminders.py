from ._job_command import JobCommand


class Command(JobCommand):
    help = "Write expiry, unused-value and service reminders to the outbox and dispatch the due ones."
    job = "send_reminders"
