"""Models of the campaigns app, one module per purpose."""

from .alerts import AlertVoucherGrant, AlertVoucherRule
from .campaigns import Campaign, CampaignRecipient, CampaignVoucher
from .jobs import JobRun
from .nps import NpsSurvey
from .offers import FollowUp, FollowUpRule, OfferMode, OfferStatus, ReminderOffer, ReminderOfferGrant
from .outbox import MessageTemplate, Notification
from .programmes import EventIssuance, Programme
from .segments import Segment

__all__ = [
    "AlertVoucherGrant",
    "AlertVoucherRule",
    "Campaign",
    "CampaignRecipient",
    "CampaignVoucher",
    "EventIssuance",
    "FollowUp",
    "FollowUpRule",
    "JobRun",
    "MessageTemplate",
    "Notification",
    "NpsSurvey",
    "OfferMode",
    "OfferStatus",
    "Programme",
    "ReminderOffer",
    "ReminderOfferGrant",
    "Segment",
]
