"""Publishing voucher definitions, with the rules a definition must meet before owners see it."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.actors import Actor

from ..exceptions import InvalidTransition, PublishRefused
from ..locks import definition_for_update
from ..models import VoucherDefinition

Definition = VoucherDefinition
Policy = Definition.ValidityPolicy


def definition_publish_problems(definition: VoucherDefinition) -> list[str]:
    """Every reason the definition cannot be published yet (translated); empty when it can."""
    problems = []
    policy = definition.validity_policy
    sold = definition.kind == Definition.Kind.PAID or definition.channel_bundle
    if sold and policy != Policy.NO_EXPIRY and settings.VOUCHERS_TAIWAN_PAID_NO_EXPIRY:
        problems.append(
            _(
                "Vouchers sold to owners may not carry an expiry date under Taiwan's rules for prepaid "
                "vouchers (禮券). Choose “No expiry”; owners will be reminded of unused value instead."
            )
        )
    if policy == Policy.FIXED and not definition.valid_until_date:
        problems.append(_("Fixed-date validity needs an end date."))
    if (
        policy == Policy.FIXED
        and definition.valid_from_date
        and definition.valid_until_date
        and definition.valid_until_date < definition.valid_from_date
    ):
        problems.append(_("The end date is before the start date."))
    if policy in (Policy.DAYS_FROM_ISSUE, Policy.DAYS_FROM_ACTIVATION) and not definition.validity_days:
        problems.append(_("Give the number of days the voucher stays valid."))
    if policy == Policy.DELIVERY_WINDOW and definition.holder_type == Definition.HolderType.MEMBER:
        problems.append(_("A window after delivery needs a vehicle: choose a vehicle holder type."))
    if not any(
        [
            definition.channel_manual,
            definition.channel_claim,
            definition.channel_event,
            definition.channel_api,
            definition.channel_bundle,
        ]
    ):
        problems.append(_("Choose at least one issue channel."))
    if definition.channel_event and not definition.trigger_event:
        problems.append(_("Event issuance needs the event that triggers it."))
    if (
        definition.claim_starts_at
        and definition.claim_ends_at
        and definition.claim_ends_at <= definition.claim_starts_at
    ):
        problems.append(_("The claim window closes before it opens."))
    return problems


def definition_publish(
    *, definition: VoucherDefinition, actor=None, now: datetime | None = None
) -> VoucherDefinition:
    now = now or timezone.now()
    with transaction.atomic():
        locked = definition_for_update(definition.pk)
        if locked.status == Definition.Status.ARCHIVED:
            raise InvalidTransition(status=locked.get_status_display())
        problems = definition_publish_problems(locked)
        if problems:
            raise PublishRefused(" ".join(problems))
        locked.status = Definition.Status.PUBLISHED
        locked.published_at = locked.published_at or now
        locked.save(update_fields=["status", "published_at", "updated_at"])
    definition.status, definition.published_at = locked.status, locked.published_at
    return locked


def definition_set_status(*, definition: VoucherDefinition, status: str) -> VoucherDefinition:
    """Pause, resume (publish again) or archive a definition; issued vouchers are not touched."""
    if status == Definition.Status.PUBLISHED:
        return definition_publish(definition=definition)
    if status not in (Definition.Status.PAUSED, Definition.Status.ARCHIVED):
        raise InvalidTransition(status=status)
    with transaction.atomic():
        locked = definition_for_update(definition.pk)
        if locked.status == Definition.Status.DRAFT and status == Definition.Status.PAUSED:
            raise InvalidTransition(status=locked.get_status_display())
        locked.status = status
        locked.save(update_fields=["status", "updated_at"])
    definition.status = status
    return locked


def definition_set_settlement_price(
    *, definition: VoucherDefinition, price_twd: int, actor: Actor
) -> VoucherDefinition:
    """Finance sets what the brand pays a dealer per use of this definition (settlement statements
    take the price in force when a statement is drafted; approved statements keep theirs)."""
    if price_twd < 0:
        raise InvalidTransition(status=str(price_twd))
    with transaction.atomic():
        locked = definition_for_update(definition.pk)
        locked.settlement_price_twd = price_twd
        locked.save(update_fields=["settlement_price_twd", "updated_at"])
    definition.settlement_price_twd = price_twd
    return locked
