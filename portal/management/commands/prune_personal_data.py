from campaigns.management.commands._job_command import JobCommand


class Command(JobCommand):
    help = (
        "Delete sign-in codes expired over a day ago and clear the text of outbox messages older than "
        "NOTIFY_TEXT_RETENTION_DAYS (default 90)."
    )
    job = "prune_personal_data"
