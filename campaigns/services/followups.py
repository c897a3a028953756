"""Follow-ups from past services: the nightly step that carries out each active rule's plan.

The plan (`campaigns.selectors_followups.followup_plan`, the dry run's too) names who is due and
what becomes of each. Each follow-up is one transaction: the voucher (idempotency key = the
follow-up's key), the `FollowUp` row (unique per rule and past service) and the message (outbox
de-duplication key = the same key) commit together or not at all, so a re-run, a resumed run or a
concurrent run neither issues nor writes anything twice. Quiet hours and the weekly cap are applied
again by the outbox when the message is written.
"""

import time
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from config.stored_text import fit_to_column
from vehicles.models import Vehicle
from vouchers.validity import local_date

from ..messages import date_text, message_render
from ..models import FollowUp, FollowUpRule, Notification, OfferMode, OfferStatus
from ..selectors_followups import RECORDED_REFUSALS, Candidate, Outcome, followup_plan
from .notify import Draft, notifications_bulk_queue, with_offer_link
from .offers import offer_claim_url, offer_issue, offer_voucher_url


def followup_draft(rule: FollowUpRule, candidate: Candidate, *, offer_url: str, now: datetime) -> Draft:
    """The message of one follow-up, in the owner's language (English falls back to Chinese)."""
    member = candidate.member
    body = rule.message_en if member.language == "en" and rule.message_en else rule.message_zh_hant
    months = (local_date(now).year - candidate.serviced_on.year) * 12 + (
        local_date(now).month - candidate.serviced_on.month
    )
    return Draft(
        member=member,
        purpose=Notification.Purpose.FOLLOW_UP,
        template_key="follow_up",
        dedup_key=candidate.key,
        promotional=rule.promotional,
        source=(rule.name, body),
        context={
            "plate": candidate.plate,
            "model": candidate.model_name,
            "serviced_on": date_text(candidate.serviced_on, member.language),
            "months_since": months,
            "km_since": candidate.km_since or 0,
            "offer_title": rule.definition.title,
            "offer_url": offer_url,
        },
    )


def _follow_up(rule: FollowUpRule, candidate: Candidate, *, now: datetime) -> bool:
    """Carry out one candidate's outcome; True when a message was written."""
    row = {
        "rule": rule,
        "source_kind": candidate.source_kind,
        "source_id": candidate.source_id,
        "serviced_on": candidate.serviced_on,
        "vehicle_id": candidate.vehicle_id,
        "member": candidate.member,
    }
    try:
        with transaction.atomic():
            if candidate.outcome in RECORDED_REFUSALS:
                FollowUp.objects.create(
                    **row,
                    status=OfferStatus.REFUSED,
                    reason=fit_to_column(FollowUp, "reason", candidate.reason),
                )
                return False
            if rule.mode == OfferMode.CLAIM:
                FollowUp.objects.create(**row, status=OfferStatus.LINKED)
                url = offer_claim_url(rule.definition_id)
            else:
                voucher, refusal = offer_issue(
                    definition=rule.definition,
                    member=candidate.member,
                    vehicle=Vehicle.objects.get(pk=candidate.vehicle_id),
                    key=candidate.key,
                    reason=f"follow-up rule {rule.pk}",
                    now=now,
                )
                FollowUp.objects.create(
                    **row,
                    status=OfferStatus.ISSUED if voucher else OfferStatus.REFUSED,
                    reason=fit_to_column(FollowUp, "reason", refusal),
                    voucher=voucher,
                )
                if voucher is None:
                    return False
                url = offer_voucher_url(voucher.pk)
            notifications_bulk_queue([followup_draft(rule, candidate, offer_url=url, now=now)], now=now)
    except IntegrityError:
        return False  # followed up a moment ago by another run
    return True


def followups_send(*, now: datetime, cursor=None, deadline: float | None = None) -> tuple[int, object]:
    """Job step: every active rule in id order (cursor: the last rule done); returns messages written."""
    written = 0
    for rule in (
        FollowUpRule.objects.filter(is_active=True, pk__gt=cursor or 0)
        .select_related("definition")
        .order_by("pk")
    ):
        plan = followup_plan(rule, now=now)
        if not plan.problem:
            for candidate in plan.candidates:
                if candidate.outcome != Outcome.WEEKLY_CAP:
                    written += _follow_up(rule, candidate, now=now)
        if deadline is not None and time.monotonic() > deadline:
            return written, rule.pk
    return written, None


def followup_sample_text(rule: FollowUpRule, candidate: Candidate, *, now: datetime) -> str:
    """The message a candidate would read (the dry run's sample), with a stand-in for the voucher link."""
    url = (
        offer_claim_url(rule.definition_id)
        if rule.mode == OfferMode.CLAIM
        else gettext("[link to the voucher issued]")
    )
    draft = followup_draft(rule, candidate, offer_url=url, now=now)
    rendered = message_render(
        key=draft.template_key,
        language=candidate.member.language,
        context={"name": candidate.member.name, **draft.context},
        source=draft.source,
    )
    return with_offer_link(rendered.body, draft.context, candidate.member.language)
