from ._job_command import JobCommand


class Command(JobCommand):
    help = "Mark vouchers past their validity as expired (with ledger rows) and release stale counter holds."
    job = "expire_vouchers"
