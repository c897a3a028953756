"""Messages to members: consent, address, weekly cap, template, opt-out link, quiet hours; then the outbox.

`member_notify` writes one message (and enqueues it after commit); `notifications_bulk_queue`
writes many in one statement per batch for the nightly jobs, which the dispatcher then sends.
"""

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

import config.lookups  # noqa: F401  (field__any_of)
from config.bulk_insert import ids_reserve, rows_insert
from config.stored_text import fit_to_column
from members.locks import members_for_update
from members.models import Member

from ..messages import in_language, message_render, template_source, templates_all
from ..models import Notification
from .optout import opt_out_url
from .outbox import notification_queue
from .policy import (
    NO_ADDRESS,
    WEEKLY_CAP,
    consent_refusal,
    member_address,
    promotional_sent_this_week,
    send_time,
)

Status = Notification.Status


@dataclass
class Draft:
    """A message to one member, before the rules are applied."""

    member: Member
    purpose: str
    template_key: str
    dedup_key: str
    context: dict = field(default_factory=dict)
    promotional: bool = False
    channel: str | None = None
    campaign: object = None
    # (subject, body) template source overriding the stored template (campaign texts)
    source: tuple[str, str] | None = None
    # The member's opt-out link when the caller made it already (`opt_out_urls`, for batches)
    opt_out_url: str = ""


def with_offer_link(body: str, context: dict, language: str) -> str:
    """The text with the offer's link: a template that names no `offer_url` (one edited before
    offers existed) gets it on a line of its own, so the link is never lost."""
    offer_url = context.get("offer_url")
    if not offer_url or offer_url in body:
        return body
    with in_language(language):
        line = gettext("Your offer “%(title)s”: %(url)s") % {
            "title": context.get("offer_title", ""),
            "url": offer_url,
        }
    return f"{body}\n{line}"


def _fields(
    draft: Draft,
    *,
    now: datetime,
    sent_this_week: int,
    templates: dict | None = None,
    not_before: datetime | None = None,
) -> dict:
    """The outbox row's values for `draft` (without member, campaign and key): the rules applied,
    the text rendered. `not_before`: the send time when the caller computed it for a whole batch."""
    member = draft.member
    channel, recipient = member_address(member, draft.channel)
    language = member.language
    skip = consent_refusal(member, purpose=draft.purpose, promotional=draft.promotional)
    if not skip and not recipient:
        skip = str(NO_ADDRESS)
    if not skip and draft.promotional and sent_this_week >= settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP:
        skip = str(WEEKLY_CAP)
    fields = {
        "channel": channel or member.preferred_channel,
        "recipient": recipient,
        "purpose": draft.purpose,
        "template_key": draft.template_key,
        "language": language,
        "promotional": draft.promotional,
        "dedup_key": fit_to_column(Notification, "dedup_key", draft.dedup_key),
        "not_before": not_before or send_time(now, purpose=draft.purpose),
        "created_at": now,
        "status": Status.PENDING,
        "skip_reason": "",
        "subject": "",
    }
    if skip:
        fields["status"] = Status.SKIPPED
        fields["skip_reason"] = fit_to_column(Notification, "skip_reason", skip)
        fields["body"] = "—"
        return fields
    context = {"name": member.name, **draft.context}
    if draft.promotional:
        context["opt_out_url"] = draft.opt_out_url or opt_out_url(member)
    source = draft.source
    if source is None and templates is not None:
        source = template_source(templates, draft.template_key, language)
    rendered = message_render(key=draft.template_key, language=language, context=context, source=source)
    body = with_offer_link(rendered.body, context, language)
    if draft.promotional and context["opt_out_url"] not in body:
        with in_language(language):
            body = f"{body}\n{gettext('Stop marketing messages')}: {context['opt_out_url']}"
    fields["subject"] = fit_to_column(Notification, "subject", rendered.subject)
    fields["body"] = body
    return fields


def _build(
    draft: Draft, *, now: datetime, sent_this_week: int, templates: dict | None = None
) -> Notification:
    fields = _fields(draft, now=now, sent_this_week=sent_this_week, templates=templates)
    return Notification(member=draft.member, campaign=draft.campaign, **fields)


def member_notify(draft: Draft, *, now: datetime | None = None) -> tuple[Notification, bool]:
    """Write one message to the outbox (once per dedup key) and send it after commit when due."""
    now = now or timezone.now()
    existing = Notification.objects.filter(
        dedup_key=fit_to_column(Notification, "dedup_key", draft.dedup_key)
    ).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        sent = 0
        if draft.promotional:
            sent = _promotional_counts_locked({draft.member.pk}, now)[draft.member.pk]
        n = _build(draft, now=now, sent_this_week=sent)
        return notification_queue(
            channel=n.channel,
            recipient=n.recipient,
            purpose=n.purpose,
            body=n.body,
            dedup_key=n.dedup_key,
            member=n.member,
            language=n.language,
            subject=n.subject,
            template_key=n.template_key,
            promotional=n.promotional,
            not_before=n.not_before,
            status=n.status,
            skip_reason=n.skip_reason,
            campaign=n.campaign,
        )


def notifications_bulk_queue(drafts: list[Draft], *, now: datetime | None = None) -> int:
    """Write many messages in one INSERT (existing dedup keys are left alone); returns how many were new.

    Not enqueued here: the dispatcher (every minute, and at the end of each job) sends due rows.
    """
    now = now or timezone.now()
    if not drafts:
        return 0
    keys = {fit_to_column(Notification, "dedup_key", d.dedup_key) for d in drafts}
    existing = set(Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    fresh = [d for d in drafts if fit_to_column(Notification, "dedup_key", d.dedup_key) not in existing]
    promo_members = {d.member.pk for d in fresh if d.promotional}
    templates = templates_all()
    with transaction.atomic():
        sent = _promotional_counts_locked(promo_members, now)
        objects, seen = [], set()
        for draft in fresh:
            if fit_to_column(Notification, "dedup_key", draft.dedup_key) in seen:
                continue
            seen.add(fit_to_column(Notification, "dedup_key", draft.dedup_key))
            notification = _build(draft, now=now, sent_this_week=sent[draft.member.pk], templates=templates)
            if notification.promotional and notification.status == Status.PENDING:
                sent[draft.member.pk] += 1
            objects.append(notification)
        created = Notification.objects.bulk_create(objects, batch_size=1000, ignore_conflicts=True)
    return len(created)


def _promotional_counts_locked(member_ids: set[int], now: datetime) -> Counter:
    """Promotional messages counted this week per member, with the members' rows locked.

    The locks (taken in primary-key order, so two batches cannot deadlock) serialise this batch with
    `member_notify` and with other batches until commit, so the weekly cap holds exactly.
    """
    if not member_ids:
        return Counter()
    # no_key: enough to serialise the counting (it conflicts with itself) without holding up other
    # transactions' inserts that reference these members.
    members_for_update(member_ids)
    return promotional_sent_this_week(member_ids, now)


def notifications_queue_keyed(
    drafts: list[Draft], *, now: datetime, members_locked: bool = False
) -> dict[str, int]:
    """Write many messages (COPY on PostgreSQL) and return every draft's key → its outbox row id,
    the rows already there included. In the caller's transaction; not enqueued (the dispatcher
    sends due rows).

    For a caller that owns its de-duplication keys under a lock it holds (a campaign batch under
    the campaign's lock), so no one else writes them meanwhile: a duplicate key fails the batch.
    `members_locked`: the caller holds the drafts' members' locks already (taken in primary-key
    order, as `_promotional_counts_locked` takes them), so the weekly cap is counted under them.
    """
    keys = {draft.dedup_key for draft in drafts}
    ids = dict(Notification.objects.filter(dedup_key__any_of=list(keys)).values_list("dedup_key", "pk"))
    fresh: dict[str, Draft] = {}
    for draft in drafts:
        if draft.dedup_key not in ids:
            fresh.setdefault(draft.dedup_key, draft)
    if not fresh:
        return ids
    promotional = {d.member.pk for d in fresh.values() if d.promotional}
    if members_locked:
        sent = promotional_sent_this_week(promotional, now) if promotional else Counter()
    else:
        sent = _promotional_counts_locked(promotional, now)
    send_at = {}
    rows = []
    for pk, draft in zip(ids_reserve(Notification, len(fresh)), fresh.values(), strict=True):
        if draft.purpose not in send_at:
            send_at[draft.purpose] = send_time(now, purpose=draft.purpose)
        member_id = draft.member.pk
        f = _fields(draft, now=now, sent_this_week=sent[member_id], not_before=send_at[draft.purpose])
        if f["promotional"] and f["status"] == Status.PENDING:
            sent[member_id] += 1
        campaign_id = draft.campaign.pk if draft.campaign is not None else None
        rows.append((pk, member_id, campaign_id, uuid.uuid4(), *(f[name] for name in _ROW_FIELDS)))
        ids[f["dedup_key"]] = pk
    rows_insert(
        Notification,
        ("id", "member", "campaign", "retry_key", *_ROW_FIELDS, *_UNSET),
        ((*row, *_UNSET_VALUES) for row in rows),
    )
    return ids


_ROW_FIELDS = (
    "channel",
    "recipient",
    "purpose",
    "template_key",
    "language",
    "promotional",
    "dedup_key",
    "not_before",
    "created_at",
    "status",
    "skip_reason",
    "subject",
    "body",
)
# A new row's other columns: nothing tried, nothing sent.
_UNSET = ("attempts", "last_error", "sent_at", "lease_until", "provider_message_id")
_UNSET_VALUES = (0, "", None, None, "")
