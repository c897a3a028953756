"""Models of the campaigns app, one module per purpose."""

from .campaigns import Campaign, CampaignRecipient, CampaignVoucher
from .jobs import JobRun
from .nps import NpsSurvey
from .outbox import MessageTemplate, Notification
from .programmes import EventIssuance, Programme
from .segments import Segment

__all__ = [
    "Campaign",
    "CampaignRecipient",
    "CampaignVoucher",
    "EventIssuance",
    "JobRun",
    "MessageTemplate",
    "Notification",
    "NpsSurvey",
    "Programme",
    "Segment",
]
