"""Use cases of the campaigns app. Import from here; the modules are split by use case."""

from .campaigns import (
    campaign_cancel,
    campaign_pause,
    campaign_problems,
    campaign_schedule,
    campaigns_run_due,
)
from .events import event_grant, event_vouchers_issue
from .notify import Draft, member_notify, notifications_bulk_queue
from .optout import member_opt_out, opt_out_url
from .outbox import notification_deliver, notification_queue, notification_retry, notifications_dispatch
from .templates import message_template_save, message_templates_seed

__all__ = [
    "Draft",
    "campaign_cancel",
    "campaign_pause",
    "campaign_problems",
    "campaign_schedule",
    "campaigns_run_due",
    "event_grant",
    "event_vouchers_issue",
    "member_notify",
    "member_opt_out",
    "message_template_save",
    "message_templates_seed",
    "notification_deliver",
    "notification_queue",
    "notification_retry",
    "notifications_bulk_queue",
    "notifications_dispatch",
    "opt_out_url",
]
