"""Campaigns: schedule, pause, cancel, and the run (freeze the audience, then serve each vehicle once).

A run is resumable at any point: the audience is frozen into CampaignRecipient rows (unique per
campaign and vehicle) before anything is sent, then served in batches (`campaign_send`), each one
transaction under the campaign's lock that serves only recipients still pending. Vouchers carry the
idempotency key `campaign:<id>:vehicle:<id>` and messages the dedup key `campaign:<id>:member:<id>`.
"""

import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from vouchers.models import VoucherDefinition

from ..exceptions import CampaignIncomplete, CampaignNotEditable
from ..locks import campaign_for_update
from ..messages import MessageTemplateError, template_check
from ..models import Campaign, CampaignRecipient
from .campaign_send import audience_freeze, campaign_serve_batch

Status = Campaign.Status
RecipientStatus = CampaignRecipient.Status


def campaign_problems(campaign: Campaign) -> list[str]:
    """What stops this campaign from being scheduled (translated), empty when it may be."""
    problems = []
    if not campaign.send_message and campaign.definition_id is None:
        problems.append(_("Choose an action: send a message, issue a voucher, or both."))
    if campaign.send_message:
        if not campaign.message_zh_hant.strip():
            problems.append(_("Write the message in Traditional Chinese (English is optional)."))
        for text in (
            campaign.message_zh_hant,
            campaign.message_en,
            campaign.subject_zh_hant,
            campaign.subject_en,
        ):
            try:
                template_check(text)
            except MessageTemplateError as exc:
                problems.append(_("The message is not a valid template: %(error)s") % {"error": exc})
    definition = campaign.definition
    if definition is not None and (
        definition.status != VoucherDefinition.Status.PUBLISHED or not definition.channel_event
    ):
        problems.append(_("The voucher must be published and open to event/campaign issuance."))
    return problems


def _locked(campaign: Campaign) -> Campaign:
    return campaign_for_update(campaign.pk)


def campaign_schedule(
    *, campaign: Campaign, scheduled_at: datetime | None = None, now: datetime | None = None
) -> Campaign:
    """Draft or paused → scheduled (it runs at `scheduled_at`, or at the next run of the job)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status not in (Status.DRAFT, Status.PAUSED):
            raise CampaignNotEditable(status=locked.get_status_display())
        problems = campaign_problems(locked)
        if problems:
            raise CampaignIncomplete(problem=" ".join(str(p) for p in problems))
        locked.status = Status.SCHEDULED
        locked.scheduled_at = scheduled_at or locked.scheduled_at or now
        locked.save(update_fields=["status", "scheduled_at"])
    campaign.status, campaign.scheduled_at = locked.status, locked.scheduled_at
    return locked


def campaign_pause(*, campaign: Campaign) -> Campaign:
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status not in (Status.SCHEDULED, Status.RUNNING):
            raise CampaignNotEditable(status=locked.get_status_display())
        locked.status = Status.PAUSED
        locked.save(update_fields=["status"])
    campaign.status = locked.status
    return locked


def campaign_cancel(*, campaign: Campaign, now: datetime | None = None) -> Campaign:
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status in (Status.COMPLETED, Status.CANCELLED):
            raise CampaignNotEditable(status=locked.get_status_display())
        locked.status = Status.CANCELLED
        locked.finished_at = now
        locked.save(update_fields=["status", "finished_at"])
    campaign.status = locked.status
    return locked


def campaigns_run_due(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """Start every scheduled campaign that is due and serve the recipients of every running one."""
    served = 0
    for campaign in Campaign.objects.filter(status=Status.SCHEDULED, scheduled_at__lte=now).order_by("pk"):
        with transaction.atomic():
            locked = _locked(campaign)
            if locked.status != Status.SCHEDULED:
                continue
            locked.status = Status.RUNNING
            locked.started_at = locked.started_at or now
            locked.save(update_fields=["status", "started_at"])
    for campaign in (
        Campaign.objects.filter(status=Status.RUNNING).select_related("segment", "definition").order_by("pk")
    ):
        if campaign.audience_size is None:
            audience_freeze(campaign)
        after: int | None = 0
        while after is not None:
            count, after = campaign_serve_batch(campaign_id=campaign.pk, now=now, after=after)
            served += count
            if after is not None and deadline is not None and time.monotonic() > deadline:
                return served, "more"
        with transaction.atomic():
            locked = _locked(campaign)
            if (
                locked.status == Status.RUNNING
                and not CampaignRecipient.objects.filter(
                    campaign=locked, status=RecipientStatus.PENDING
                ).exists()
            ):
                locked.status = Status.COMPLETED
                locked.finished_at = now
                locked.save(update_fields=["status", "finished_at"])
    return served, None
