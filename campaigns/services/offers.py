"""Offers a message carries: a voucher issued once per occasion, or a link to claim one in the portal.

`reminder_offers_attach` gives the nightly reminders their offer: per batch, one query for the
rules and one for the grants already made, then one issuance per new reminder that carries a
voucher (under the definition's lock, so stock and per-holder limits hold). A reminder occurrence
(its outbox de-duplication key) gets at most one grant (`one_offer_per_reminder`); the key is also
the voucher's idempotency key, so a crash between the grant and the message, a re-run or a
concurrent run issues nothing twice and the message written later links to the same voucher.
"""

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from config.errors import DomainError
from config.stored_text import fit_to_column
from members.actors import Actor
from members.models import Member
from vehicles.models import Vehicle
from vouchers.exceptions import DefinitionNotIssuable, StockExhausted
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition
from vouchers.services import voucher_issue

from ..models import OfferMode, OfferStatus, ReminderOffer, ReminderOfferGrant
from .notify import Draft
from .policy import consent_refusal, member_address, promotional_sent_this_week

logger = logging.getLogger(__name__)


def offer_voucher_url(voucher_id: int) -> str:
    """The voucher's page in the portal (the owner signs in; the page is scoped to their vouchers)."""
    return settings.SITE_URL + reverse("portal:voucher", args=[voucher_id])


def offer_claim_url(definition_id: int) -> str:
    """The definition's item in the portal's claim centre."""
    return f"{settings.SITE_URL}{reverse('portal:claim_centre')}#offer-{definition_id}"


def offer_unavailable(definition: VoucherDefinition, mode: str) -> str:
    """Why `definition` cannot be offered in `mode` to anyone now, or "" (the per-owner rules, such
    as the per-holder limit, are the issuing service's)."""
    channel_open = definition.channel_claim if mode == OfferMode.CLAIM else definition.channel_manual
    if definition.status != VoucherDefinition.Status.PUBLISHED or not channel_open:
        return str(DefinitionNotIssuable.default_message)
    if definition.stock_left is not None and definition.stock_left <= 0:
        return str(StockExhausted.default_message)
    return ""


def offer_issue(
    *,
    definition: VoucherDefinition,
    member: Member | None,
    vehicle: Vehicle | None,
    key: str,
    reason: str,
    now: datetime,
) -> tuple[Voucher | None, str]:
    """Issue one unit of `definition` for this occasion: (first voucher, "") or (None, why not).

    An offer is a back-office decision (operations set the rule), so it issues through the
    definition's back-office channel, by the system, with the rule named in the ledger's reason.

    `key` is the idempotency key: a second call with it returns the voucher the first issued.
    Runs in the caller's transaction when there is one (a savepoint protects it from a refusal).
    """
    try:
        with transaction.atomic():
            vouchers = voucher_issue(
                definition=definition,
                source=Voucher.Source.MANUAL,
                member=member,
                vehicle=vehicle,
                actor=Actor.system("offer"),
                reason=reason,
                idempotency_key=fit_to_column(LedgerEntry, "idempotency_key", key),
                now=now,
            )
    except DomainError as exc:
        logger.info("offer %s: %s not issued: %s", key, definition.code, exc.message)
        return None, exc.message
    return (vouchers[0] if vouchers else None), ""


@dataclass
class OfferTarget:
    """A reminder about to be written, with the car it is about (None: a member-wide reminder)."""

    draft: Draft
    vehicle_id: int | None = None
    model_id: int | None = None


def _rule_for(rules: list[ReminderOffer], model_id: int | None) -> ReminderOffer | None:
    specific = [r for r in rules if r.vehicle_model_id is not None and r.vehicle_model_id == model_id]
    general = [r for r in rules if r.vehicle_model_id is None]
    return (specific or general or [None])[0]


def _tell(draft: Draft, title: str, url: str) -> None:
    draft.context["offer_title"] = title
    draft.context["offer_url"] = url


def reminder_offers_attach(*, reminder: str, targets: list[OfferTarget], now: datetime) -> int:
    """Give each reminder its rule's offer (issued once per occurrence, or a claim link); returns how
    many vouchers were issued now. A reminder the owner will not receive (no consent, no address,
    the weekly cap for a promotional one) gets no voucher."""
    if not targets:
        return 0
    rules = list(
        ReminderOffer.objects.filter(reminder=reminder, is_active=True)
        .select_related("definition")
        .order_by("pk")
    )
    if not rules:
        return 0
    chosen = [(t, rule) for t in targets if (rule := _rule_for(rules, t.model_id)) is not None]
    keys = [fit_to_column(ReminderOfferGrant, "occurrence", t.draft.dedup_key) for t, _rule in chosen]
    rows = ReminderOfferGrant.objects.filter(occurrence__in=keys).values_list(
        "occurrence", "status", "voucher_id", "definition_id", "definition__card_title", "definition__name"
    )
    granted = {row[0]: (row[1], row[2], row[3], row[4] or row[5]) for row in rows}
    # Promotional reminders (programme messages) respect the weekly cap: an owner at the cap is not
    # written to tonight, so gets no voucher either.
    promotional = {t.draft.member.pk for t, _rule in chosen if t.draft.promotional}
    sent_this_week = promotional_sent_this_week(promotional, now) if promotional else Counter()
    # The cars vouchers may be issued to, in one query (their delivery date sets some validities).
    vehicles = Vehicle.objects.in_bulk(
        {
            t.vehicle_id
            for (t, _rule), key in zip(chosen, keys, strict=True)
            if t.vehicle_id and key not in granted
        }
    )
    issued = 0
    links: list[ReminderOfferGrant] = []  # claim links and refusals: one INSERT for the batch
    for (target, rule), key in zip(chosen, keys, strict=True):
        definition = rule.definition
        earlier = granted.get(key)
        if earlier is not None:  # the grant is made; the message was not written (a crash): link it
            status, voucher_id, definition_id, title = earlier
            if status == OfferStatus.ISSUED and voucher_id:
                _tell(target.draft, title, offer_voucher_url(voucher_id))
            elif status == OfferStatus.LINKED:
                _tell(target.draft, title, offer_claim_url(definition_id))
            continue
        draft = target.draft
        unavailable = offer_unavailable(definition, rule.mode)
        if not unavailable and (
            consent_refusal(draft.member, purpose=draft.purpose, promotional=draft.promotional)
            or not member_address(draft.member, draft.channel)[1]
            or (
                draft.promotional
                and sent_this_week[draft.member.pk] >= settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP
            )
        ):
            continue  # the message will be skipped: no offer made, nothing recorded
        if rule.mode == OfferMode.CLAIM or unavailable:
            status = OfferStatus.REFUSED if unavailable else OfferStatus.LINKED
            links.append(_grant(rule, key, target, status=status, reason=unavailable))
            if not unavailable:
                _tell(draft, definition.title, offer_claim_url(definition.pk))
            continue
        vehicle = vehicles.get(target.vehicle_id)
        try:
            with transaction.atomic():
                voucher, refusal = offer_issue(
                    definition=definition,
                    member=draft.member,
                    vehicle=vehicle,
                    key=f"offer:{key}",
                    reason=f"reminder offer {rule.pk}",
                    now=now,
                )
                _grant(
                    rule,
                    key,
                    target,
                    status=OfferStatus.ISSUED if voucher else OfferStatus.REFUSED,
                    reason=refusal,
                    voucher=voucher,
                ).save()
        except IntegrityError:  # another run granted this occurrence a moment ago: link its voucher
            grant = ReminderOfferGrant.objects.get(occurrence=key)
            voucher = grant.voucher if grant.status == OfferStatus.ISSUED else None
        else:
            issued += voucher is not None
        if voucher is not None:
            _tell(draft, definition.title, offer_voucher_url(voucher.pk))
    # Another run may have recorded some a moment ago, with the same outcome: those are left alone.
    ReminderOfferGrant.objects.bulk_create(links, batch_size=1000, ignore_conflicts=True)
    return issued


def _grant(
    rule, key, target: OfferTarget, *, status: str, reason: str = "", voucher=None
) -> ReminderOfferGrant:
    return ReminderOfferGrant(
        occurrence=key,
        rule=rule,
        definition=rule.definition,
        member=target.draft.member,
        vehicle_id=target.vehicle_id,
        voucher=voucher,
        status=status,
        reason=fit_to_column(ReminderOfferGrant, "reason", reason),
    )
