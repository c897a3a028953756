"""Campaigns: schedule, pause, cancel, and the run (freeze the audience, then serve each vehicle once).

A run is resumable at any point: the audience is frozen into CampaignRecipient rows (unique per
campaign and vehicle) before anything is sent, each recipient is served in its own transaction that
locks it and re-checks it is still pending, vouchers carry the idempotency key
`campaign:<id>:vehicle:<id>` and messages the dedup key `campaign:<id>:member:<id>`.
"""

import time
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import DomainError
from config.stored_text import fit_to_column
from members.actors import Actor
from vouchers.models import Voucher, VoucherDefinition
from vouchers.services import voucher_issue

from ..exceptions import CampaignIncomplete, CampaignNotEditable
from ..locks import campaign_for_update, recipient_for_update
from ..messages import MessageTemplateError, template_check
from ..models import Campaign, CampaignRecipient, CampaignVoucher, Notification
from ..selectors import segment_audience
from .notify import Draft, member_notify

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


def _freeze_audience(campaign: Campaign) -> int:
    """Write the audience as recipients (idempotent); then the campaign's audience never changes."""
    rows = segment_audience(campaign.segment).values_list("pk", "current_owner_id")
    if campaign.max_recipients is not None:
        rows = rows[: campaign.max_recipients]
    batch = []
    for vehicle_id, member_id in rows.iterator(2000):
        batch.append(CampaignRecipient(campaign=campaign, vehicle_id=vehicle_id, member_id=member_id))
        if len(batch) >= 2000:
            CampaignRecipient.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    CampaignRecipient.objects.bulk_create(batch, ignore_conflicts=True)
    size = CampaignRecipient.objects.filter(campaign=campaign).count()
    Campaign.objects.filter(pk=campaign.pk).update(audience_size=size)
    return size


def _serve(campaign_id: int, recipient_id: int, now: datetime) -> None:
    with transaction.atomic():
        campaign = _locked(Campaign(pk=campaign_id))
        recipient = recipient_for_update(recipient_id)
        if recipient.status != RecipientStatus.PENDING or campaign.status != Status.RUNNING:
            return
        vouchers: list[Voucher] = []
        reason = ""
        definition = campaign.definition
        if definition is not None:
            cost = definition.face_value_twd * definition.series_count
            if campaign.budget_twd is not None and campaign.spent_twd + cost > campaign.budget_twd:
                reason = _("budget exhausted")
            else:
                try:
                    vouchers = voucher_issue(
                        definition=definition,
                        source=Voucher.Source.CAMPAIGN,
                        member=recipient.member,
                        vehicle=recipient.vehicle,
                        actor=Actor.system(f"campaign:{campaign.pk}"),
                        reason=campaign.name,
                        idempotency_key=f"campaign:{campaign.pk}:vehicle:{recipient.vehicle_id}",
                        now=now,
                    )
                except DomainError as exc:
                    reason = exc.message
                else:
                    CampaignVoucher.objects.bulk_create(
                        [
                            CampaignVoucher(campaign=campaign, recipient=recipient, voucher=v)
                            for v in vouchers
                        ],
                        ignore_conflicts=True,
                    )
                    Campaign.objects.filter(pk=campaign.pk).update(spent_twd=F("spent_twd") + cost)
        if campaign.send_message and (definition is None or vouchers):
            member = recipient.member
            text = (
                campaign.message_en
                if member.language == "en" and campaign.message_en.strip()
                else campaign.message_zh_hant
            )
            subject = (
                campaign.subject_en
                if member.language == "en" and campaign.subject_en
                else campaign.subject_zh_hant
            )
            notification, _created = member_notify(
                Draft(
                    member=member,
                    purpose=Notification.Purpose.CAMPAIGN,
                    template_key=f"campaign:{campaign.pk}",
                    dedup_key=f"campaign:{campaign.pk}:member:{member.pk}",
                    promotional=True,
                    channel=campaign.channel or None,
                    campaign=campaign,
                    source=(subject or campaign.name, text),
                    context={
                        "plate": recipient.vehicle.plate,
                        "model": recipient.vehicle.model.name,
                        "vouchers": [{"title": definition.title}] if vouchers else [],
                    },
                ),
                now=now,
            )
            recipient.notification = notification
        recipient.status = RecipientStatus.SKIPPED if reason else RecipientStatus.DONE
        recipient.reason = fit_to_column(CampaignRecipient, "reason", reason)
        recipient.processed_at = now
        recipient.save(update_fields=["status", "reason", "notification", "processed_at"])


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
            _freeze_audience(campaign)
        pending = CampaignRecipient.objects.filter(
            campaign=campaign, status=RecipientStatus.PENDING
        ).order_by("pk")
        for recipient_id in pending.values_list("pk", flat=True).iterator(2000):
            _serve(campaign.pk, recipient_id, now)
            served += 1
            if deadline is not None and time.monotonic() > deadline:
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
