from ._job_command import JobCommand


class Command(JobCommand):
    help = "Write the follow-ups due from past services (coating, detailing, tyres…) and dispatch them."
    job = "send_followups"
