"""A running campaign's send, set-based: the audience frozen in one statement, then batches.

Each batch is one transaction: it locks the campaign (so two workers never serve the same
recipients, and pausing or cancelling waits for the batch), takes the next pending recipients in
order, issues their vouchers with `vouchers_issue_each` (budget reserved here under the campaign's
lock, stock under the definition's), writes their messages with `notifications_queue_keyed`
(consent, address, weekly cap under the members' locks, quiet hours), and marks every recipient
done or skipped. A worker that dies mid-batch leaves it all undone (nothing commits), and the next
run serves the same recipients again; a unique constraint on the campaign's vouchers (one per
recipient and series index) refuses a second issue whatever happens.

Messages are written, not handed to a worker: the jobs that run campaigns dispatch the due ones as
their next step (and the dispatcher every minute), as for the nightly reminders.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from config.bulk_insert import rows_insert
from config.stored_text import fit_to_column
from members.actors import Actor
from members.locks import members_read_for_update
from vouchers.models import Voucher
from vouchers.services.set_issue import HolderRequest, vouchers_issue_each

from ..locks import campaign_for_update
from ..models import Campaign, CampaignRecipient, CampaignVoucher, Notification
from ..selectors import segment_audience
from .notify import Draft, notifications_queue_keyed
from .optout import opt_out_urls

Status = Campaign.Status
RecipientStatus = CampaignRecipient.Status
SERVE_BATCH = 2000


def audience_freeze(campaign: Campaign) -> int:
    """Write the audience as recipients in one INSERT … SELECT (idempotent); returns its size.

    Recipients are numbered in vehicle order, the order they are served in.
    """
    audience = segment_audience(campaign.segment).annotate(vid=F("pk")).values("vid", "current_owner_id")
    if campaign.max_recipients is not None:
        audience = audience[: campaign.max_recipients]
    select, params = audience.query.sql_with_params()
    table = connection.ops.quote_name(CampaignRecipient._meta.db_table)
    columns = "campaign_id, vehicle_id, member_id, status, reason"
    rows = (
        f"SELECT %s, a.vid, a.current_owner_id, %s, '' FROM ({select}) a "  # noqa: S608 (Django's SQL)
        "WHERE a.current_owner_id IS NOT NULL ORDER BY a.vid"
    )
    if connection.vendor == "postgresql":
        statement = f"INSERT INTO {table} ({columns}) {rows} ON CONFLICT DO NOTHING"
    else:
        statement = f"INSERT OR IGNORE INTO {table} ({columns}) {rows}"
    with connection.cursor() as cursor:
        cursor.execute(statement, [campaign.pk, RecipientStatus.PENDING, *params])
    size = CampaignRecipient.objects.filter(campaign=campaign).count()
    Campaign.objects.filter(pk=campaign.pk).update(audience_size=size)
    return size


@dataclass(slots=True)
class _Recipient:
    """A pending recipient as a batch reads it (no model objects: a batch has thousands)."""

    pk: int
    vehicle_id: int
    member_id: int
    plate: str
    model: str
    delivery_date: date | None
    status: str = RecipientStatus.PENDING
    reason: str = ""
    notification_id: int | None = None


def campaign_serve_batch(*, campaign_id: int, now: datetime, after: int = 0) -> tuple[int, int | None]:
    """Serve the next pending recipients (numbered above `after`) of a running campaign in one
    transaction.

    Returns (how many were served, the number to continue after, or None when none may be left).
    Recipients are served in order, so those below the last one served are not pending any more.
    """
    with transaction.atomic():
        campaign = campaign_for_update(campaign_id)
        if campaign.status != Status.RUNNING:
            return 0, None
        rows = (
            CampaignRecipient.objects.filter(campaign=campaign, status=RecipientStatus.PENDING, pk__gt=after)
            .order_by("pk")
            .values_list(
                "pk",
                "vehicle_id",
                "member_id",
                "vehicle__plate",
                "vehicle__model__name",
                "vehicle__delivery_date",
            )[:SERVE_BATCH]
        )
        recipients = [_Recipient(*row) for row in rows]
        if recipients:
            _serve(campaign, recipients, now)
    return len(recipients), (recipients[-1].pk if len(recipients) == SERVE_BATCH else None)


def _serve(campaign: Campaign, recipients: list[_Recipient], now: datetime) -> None:
    issued: dict[int, list[int]] = {}
    if campaign.definition is not None:
        issued = _issue(campaign, recipients, now)
    if campaign.send_message:
        _message(campaign, recipients, issued, now)
    _settle(recipients, now)


def _issue(campaign: Campaign, recipients: list[_Recipient], now: datetime) -> dict[int, list[int]]:
    """Vouchers for the recipients the budget reaches; the others get their reason."""
    definition = campaign.definition
    cost = definition.face_value_twd * definition.series_count
    affordable = None
    if campaign.budget_twd is not None and cost:
        affordable = max(0, (campaign.budget_twd - campaign.spent_twd) // cost)
    outcomes = vouchers_issue_each(
        definition=definition,
        requests=[
            HolderRequest(
                member_id=r.member_id,
                vehicle_id=r.vehicle_id,
                delivery_date=r.delivery_date,
                idempotency_key=f"campaign:{campaign.pk}:vehicle:{r.vehicle_id}",
            )
            for r in recipients
        ],
        source=Voucher.Source.CAMPAIGN,
        actor=Actor.system(f"campaign:{campaign.pk}"),
        reason=campaign.name,
        now=now,
        max_units=affordable,
    )
    issued, links = {}, []
    budget_exhausted = _("budget exhausted")
    for recipient, outcome in zip(recipients, outcomes, strict=True):
        if not outcome.reached:
            recipient.reason = budget_exhausted
        elif outcome.refusal:
            recipient.reason = outcome.refusal
        else:
            issued[recipient.pk] = outcome.voucher_ids
            links += [(campaign.pk, recipient.pk, pk, k) for k, pk in enumerate(outcome.voucher_ids)]
    if issued:
        # No ignore_conflicts: a recipient issued twice must fail the batch, not pass unnoticed.
        rows_insert(CampaignVoucher, ("campaign", "recipient", "voucher", "series_index"), links)
        Campaign.objects.filter(pk=campaign.pk).update(spent_twd=F("spent_twd") + cost * len(issued))
    return issued


def _message(campaign: Campaign, recipients: list[_Recipient], issued: dict, now: datetime) -> None:
    """Queue one message per member (the first of their vehicles in the batch names the car) and
    note it on each recipient it is for."""
    definition = campaign.definition
    chosen = [r for r in recipients if definition is None or issued.get(r.pk)]
    # Locked now, read once: the weekly cap is counted under these locks (notifications_queue_keyed).
    members = members_read_for_update({r.member_id for r in chosen})
    links = opt_out_urls(members)
    drafts, keys = [], {}
    for recipient in chosen:
        vouchers = issued.get(recipient.pk)
        member = members[recipient.member_id]
        key = fit_to_column(Notification, "dedup_key", f"campaign:{campaign.pk}:member:{member.pk}")
        keys[recipient.pk] = key
        english = member.language == "en"
        text = campaign.message_en if english and campaign.message_en.strip() else campaign.message_zh_hant
        subject = campaign.subject_en if english and campaign.subject_en else campaign.subject_zh_hant
        drafts.append(
            Draft(
                member=member,
                purpose=Notification.Purpose.CAMPAIGN,
                template_key=f"campaign:{campaign.pk}",
                dedup_key=key,
                promotional=True,
                channel=campaign.channel or None,
                campaign=campaign,
                source=(subject or campaign.name, text),
                opt_out_url=links[member.pk],
                context={
                    "plate": recipient.plate,
                    "model": recipient.model,
                    "vouchers": [{"title": definition.title}] if vouchers else [],
                },
            )
        )
    ids = notifications_queue_keyed(drafts, now=now, members_locked=True)
    for recipient in chosen:
        recipient.notification_id = ids[keys[recipient.pk]]


def _settle(recipients: list[_Recipient], now: datetime) -> None:
    """Every recipient of the batch done or skipped (with its reason and its message)."""
    for recipient in recipients:
        recipient.status = RecipientStatus.SKIPPED if recipient.reason else RecipientStatus.DONE
        recipient.reason = fit_to_column(CampaignRecipient, "reason", recipient.reason)
    if connection.vendor != "postgresql":
        CampaignRecipient.objects.bulk_update(
            [
                CampaignRecipient(
                    pk=r.pk,
                    status=r.status,
                    reason=r.reason,
                    notification_id=r.notification_id,
                    processed_at=now,
                )
                for r in recipients
            ],
            ["status", "reason", "notification", "processed_at"],
            batch_size=500,
        )
        return
    table = connection.ops.quote_name(CampaignRecipient._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS r SET status = v.status, reason = v.reason,"  # noqa: S608 (table name)
            " notification_id = v.notification_id, processed_at = %s"
            " FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[])"
            " AS v(id, status, reason, notification_id)"
            " WHERE r.id = v.id AND r.status = %s",
            [
                now,
                [r.pk for r in recipients],
                [r.status for r in recipients],
                [r.reason for r in recipients],
                [r.notification_id for r in recipients],
                RecipientStatus.PENDING,
            ],
        )
        if cursor.rowcount != len(recipients):
            # Only a batch holding the campaign's lock changes its recipients: this is a bug.
            raise RuntimeError("campaign recipients changed under the campaign's lock")
