"""Creating and editing voucher definitions one wizard step at a time.

Basic information → Issue rules → Activation rules → Customer-side style. Each step's values are
saved as they are given, so a draft survives the operator leaving. Once vouchers exist, the fields
that would change what owners already hold are frozen (`LOCKED_ONCE_ISSUED`).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..exceptions import DefinitionFieldsLocked, InvalidTransition
from ..locks import definition_for_update
from ..models import Voucher, VoucherDefinition

Definition = VoucherDefinition

STEP_FIELDS: dict[int, tuple[str, ...]] = {
    1: (
        "name",
        "code",
        "kind",
        "category",
        "uses_per_voucher",
        "face_value_twd",
        "holder_type",
        "holder_has_owned",
        "validity_policy",
        "valid_from_date",
        "valid_until_date",
        "validity_days",
        "delivery_offset_months",
        "delivery_window_months",
        "series_count",
        "series_step_months",
        "warn_days",
        "reminder_days",
        "allowed_models",
        "allowed_dealers",
        "allowed_cities",
        "refundable",
    ),
    2: (
        "channel_manual",
        "channel_claim",
        "channel_event",
        "channel_api",
        "channel_bundle",
        "claim_min_tier",
        "claim_owners_only",
        "claim_models",
        "claim_starts_at",
        "claim_ends_at",
        "stock_total",
        "per_holder_limit",
        "trigger_event",
        "trigger_once_per",
    ),
    3: ("activation_mode", "activation_requires_verified_identity"),
    4: (
        "card_title",
        "card_subtitle",
        "card_colour",
        "card_image",
        "notice",
        "usage_rules",
        "show_new_badge",
        "show_expiring_badge",
        "show_restriction_tags",
    ),
}
STEP_COUNT = len(STEP_FIELDS)
M2M_FIELDS = frozenset({"allowed_models", "allowed_dealers", "claim_models"})

# What an owner holds: its kind and value, its uses, for how long, where and on which cars it is
# valid, whether it can be refunded and how it is activated. Issue rules and the card's style
# remain editable.
LOCKED_ONCE_ISSUED = frozenset(
    {
        "kind",
        "category",
        "uses_per_voucher",
        "face_value_twd",
        "holder_type",
        "holder_has_owned",
        "validity_policy",
        "valid_from_date",
        "valid_until_date",
        "validity_days",
        "delivery_offset_months",
        "delivery_window_months",
        "series_count",
        "series_step_months",
        "allowed_models",
        "allowed_dealers",
        "allowed_cities",
        "refundable",
        "activation_mode",
        "activation_requires_verified_identity",
    }
)


def definition_has_vouchers(definition: VoucherDefinition) -> bool:
    return definition.pk is not None and (
        definition.stock_issued > 0 or Voucher.objects.filter(definition_id=definition.pk).exists()
    )


def definition_locked_fields(definition: VoucherDefinition) -> frozenset[str]:
    """Fields the wizard shows read-only for this definition (empty until vouchers exist)."""
    return LOCKED_ONCE_ISSUED if definition_has_vouchers(definition) else frozenset()


def _current(definition: VoucherDefinition, name: str):
    if name in M2M_FIELDS:
        return {obj.pk for obj in getattr(definition, name).all()} if definition.pk else set()
    return getattr(definition, name)


def _comparable(name: str, value):
    if name in M2M_FIELDS:
        return {getattr(obj, "pk", obj) for obj in value or []}
    return value


def definition_save_step(
    *,
    definition: VoucherDefinition | None,
    step: int,
    values: dict,
    actor=None,
    advance: bool = True,
    now: datetime | None = None,
) -> VoucherDefinition:
    """Save one wizard step's `values` (a new draft when `definition` is None and `step` is 1).

    `advance` records the step as completed (Back saves without completing). Raises
    DefinitionFieldsLocked when a frozen field would change, InvalidTransition for an archived
    definition, ValueError for a field that is not part of the step, and the model's
    ValidationError when a value breaks a model rule.
    """
    if step not in STEP_FIELDS:
        raise ValueError(f"unknown wizard step {step}")
    unknown = set(values) - set(STEP_FIELDS[step])
    if unknown:
        raise ValueError(f"fields not in step {step}: {sorted(unknown)}")
    now = now or timezone.now()
    with transaction.atomic():
        if definition is None or definition.pk is None:
            if step != 1:
                raise ValueError("a new definition starts at step 1")
            locked = Definition(status=Definition.Status.DRAFT)
        else:
            locked = definition_for_update(definition.pk)
            if locked.status == Definition.Status.ARCHIVED:
                raise InvalidTransition(status=locked.get_status_display())
        frozen = definition_locked_fields(locked)
        changed = [
            name
            for name, value in values.items()
            if name in frozen and _comparable(name, value) != _comparable(name, _current(locked, name))
        ]
        if changed:
            labels = ", ".join(str(Definition._meta.get_field(name).verbose_name) for name in changed)
            raise DefinitionFieldsLocked(fields=labels)
        for name, value in values.items():
            if name not in M2M_FIELDS:
                # As a ModelForm does it: a file field given False is cleared, None leaves it alone.
                Definition._meta.get_field(name).save_form_data(locked, value)
        if advance:
            locked.wizard_step = max(locked.wizard_step, step)
        locked.full_clean(exclude=[*M2M_FIELDS, "card_image"])
        locked.save()
        for name in M2M_FIELDS & set(values):
            getattr(locked, name).set(values[name] or [])
    if definition is not None:
        definition.refresh_from_db()
    return locked
