"""Every django-q2 schedule the platform needs, in one place; `setup_schedules` applies them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    func: str
    cron: str  # minute hour day month weekday, Asia/Taipei


JOBS = [
    Job("expire_vouchers", "campaigns.jobs.expire_vouchers", "5 0 * * *"),
    Job("reconcile_ledger", "campaigns.jobs.reconcile_ledger", "30 3 * * *"),
    # Partner API (docs/api.md): webhook retries with back-off, and idempotency records past 24 h+.
    Job("webhooks_retry_due", "redemption.webhooks.tasks.webhooks_retry_due", "* * * * *"),
    Job("prune_idempotency_records", "redemption.api.idempotency.prune", "15 4 * * *"),
]
