"""Every django-q2 schedule the platform needs, in one place; `setup_schedules` applies them.

Cron times are Asia/Taipei. Reminders are written at night and go out when quiet hours end
(09:00); the dispatcher runs every minute for deferred messages, back-offs and lapsed claims.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Job:
    name: str
    func: str
    cron: str  # minute hour day month weekday, Asia/Taipei
    command: str = ""  # the management command that runs the same job to the end


JOBS = [
    Job("expire_vouchers", "campaigns.jobs.expire_vouchers", "5 0 * * *", "expire_vouchers"),
    Job("send_reminders", "campaigns.jobs.send_reminders", "30 1 * * *", "send_reminders"),
    Job("run_campaigns", "campaigns.jobs.run_campaigns", "0 2 * * *", "run_campaigns"),
    # Follow-ups from past services (docs/proactive.md): after the reminders and programmes, so the
    # weekly cap counts their messages first.
    Job("send_followups", "campaigns.jobs.send_followups", "20 2 * * *", "send_followups"),
    Job(
        "start_due_campaigns",
        "campaigns.jobs.start_due_campaigns",
        "*/5 * * * *",
        "run_campaigns --only-campaigns",
    ),
    Job(
        "dispatch_notifications",
        "campaigns.jobs.dispatch_notifications",
        "* * * * *",
        "dispatch_notifications",
    ),
    Job("reconcile_ledger", "campaigns.jobs.reconcile_ledger", "30 3 * * *", "reconcile_ledger"),
    # Loyalty: points past their date expire (a debit also expires an account's due lots first).
    Job("expire_points", "loyalty.tasks.expire_points", "10 0 * * *", ""),
    # Loyalty: tiers re-evaluated on the last 12 months (upgrades at once, downgrades at anniversaries).
    Job("evaluate_tiers", "loyalty.tasks.evaluate_tiers", "40 0 * * *", ""),
    # Loyalty: each tier's yearly benefits, once per member and year (after the tiers are evaluated).
    Job("grant_benefits", "loyalty.tasks.grant_benefits", "10 1 * * *", ""),
    # Partner API (docs/api.md): webhook retries with back-off, and idempotency records past 24 h+.
    Job("webhooks_retry_due", "redemption.webhooks.tasks.webhooks_retry_due", "* * * * *", ""),
    Job("prune_idempotency_records", "redemption.api.idempotency.prune", "15 4 * * *", ""),
    # Housekeeping: personal data we need not keep (expired sign-in codes, old outbox text; portal,
    # docs/operations.md) and old rate-limit windows.
    Job("prune_personal_data", "portal.jobs.prune_personal_data", "20 4 * * *", "prune_personal_data"),
    Job("prune_rate_limits", "campaigns.jobs.prune_rate_limits", "25 4 * * *", ""),
    # Shop: orders whose payment notification never came are asked about, then paid or expired.
    Job("settle_pending_orders", "shop.tasks.settle_pending_orders", "*/5 * * * *", "settle_pending_orders"),
    # Shop: e-invoices that failed (bounded attempts) or whose task was lost are issued again.
    Job("retry_invoices", "shop.tasks.retry_invoices", "*/10 * * * *", ""),
    # Reports (docs/reports.md): the summary tables, after the night's expiries and reconciliation.
    Job(
        "refresh_report_facts",
        "reports.tasks.refresh_report_facts",
        "45 3 * * *",
        "rebuild_report_facts --refresh",
    ),
    # Finance (docs/finance.md): money facts from new ledger entries, and rebuilt whole after the
    # night's expiries (the rebuild also runs in rebuild_report_facts).
    Job("refresh_money_facts", "finance.tasks.refresh_money_facts", "*/10 * * * *", ""),
    Job("rebuild_money_facts", "finance.tasks.rebuild_money_facts", "40 3 * * *", ""),
]

# Schedules calling into these packages are ours: setup_schedules removes those no longer listed.
OUR_PACKAGES = (
    "members.",
    "vehicles.",
    "vouchers.",
    "shop.",
    "redemption.",
    "loyalty.",
    "campaigns.",
    "portal.",
    "finance.",
    "reports.",
)
