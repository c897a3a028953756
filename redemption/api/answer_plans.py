"""An answer serializer's representation read from a plan made once per class.

DRF represents an instance by binding a copy of every declared field (and of every nested
serializer's fields) to a new serializer, then asking each bound field for its attribute and its
representation through several layers of calls. For the answers on hot paths (a redeem's answer
has 41 fields in seven serializers; a voucher list has a hundred vouchers) that machinery costs
more than the values themselves. A plan keeps, per serializer class, one bound copy of each field
with its source and how it is represented, so an instance is represented by a loop over the plan.

The plan takes only fields whose representation reads nothing but what they were declared with
(`PLAIN_FIELDS`), serializer methods and nested planned serializers; a class with any other field
has no plan and DRF represents it. Anything unusual on the way to an attribute (a missing key or
attribute, a related object that does not exist, a callable) is left to DRF's own `get_attribute`
of the planned field, so defaults, nulls and skipped fields come out as DRF makes them.
"""

import threading
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist
from rest_framework import serializers

# Exact classes (not subclasses, which may read the request or the context when they represent).
PLAIN_FIELDS = frozenset(
    {
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.DateField,
        serializers.DateTimeField,
        serializers.IntegerField,
    }
)

VALUE, METHOD, NESTED = "value", "method", "nested"


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    source_attrs: tuple[str, ...]
    kind: str
    field: serializers.Field  # bound once, to the plan's own instance of the serializer
    nested: type | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    steps: tuple[Step, ...]
    has_methods: bool


_PLANS: dict[type, Plan | None] = {}
_BUILDING = threading.RLock()  # a plan is made once, even by threads asking at the same time


class _NotPlain(Exception):
    """The attribute is not reached by plain lookups: DRF's `get_attribute` decides."""


def plan_of(cls: type, planned_base: type) -> Plan | None:
    """The plan of serializer class `cls`, or None when one of its fields is not plannable.
    Nested serializers are planned when they are `planned_base` subclasses with a plan."""
    if cls in _PLANS:
        return _PLANS[cls]
    with _BUILDING:
        if cls in _PLANS:
            return _PLANS[cls]
        return _build(cls, planned_base)


def _build(cls: type, planned_base: type) -> Plan | None:
    _PLANS[cls] = None  # a class nested in itself has no plan
    prototype = cls()
    steps = []
    for field in prototype._readable_fields:
        kind, nested = _kind(field, planned_base)
        if kind is None:
            return None
        steps.append(Step(field.field_name, tuple(field.source_attrs), kind, field, nested))
    plan = Plan(tuple(steps), has_methods=any(step.kind == METHOD for step in steps))
    _PLANS[cls] = plan
    return plan


def _kind(field, planned_base: type) -> tuple[str | None, type | None]:
    if type(field) in PLAIN_FIELDS:
        return VALUE, None
    if type(field) is serializers.SerializerMethodField:
        return METHOD, None
    if isinstance(field, planned_base) and plan_of(type(field), planned_base) is not None:
        return NESTED, type(field)
    return None, None


def represent(plan: Plan, serializer, instance, context: dict) -> dict:
    """What DRF's `Serializer.to_representation` gives for `instance`: `serializer` answers the
    plan's method fields (None when the plan has none), and `context` is the root serializer's,
    which DRF gives every nested serializer however deep."""
    ret = {}
    for step in plan.steps:
        if step.kind == METHOD:
            # A method field's source is the instance itself ('*').
            ret[step.name] = getattr(serializer, step.field.method_name)(instance)
            continue
        try:
            attribute = _attribute(instance, step.source_attrs)
        except (KeyError, AttributeError, ObjectDoesNotExist, _NotPlain):
            try:
                attribute = step.field.get_attribute(instance)
            except serializers.SkipField:
                continue
        if attribute is None:
            ret[step.name] = None
        elif step.kind == VALUE:
            ret[step.name] = step.field.to_representation(attribute)
        else:
            nested_plan = _PLANS[step.nested]
            holder = step.nested(context=context) if nested_plan.has_methods else None
            ret[step.name] = represent(nested_plan, holder, attribute, context)
    return ret


def _attribute(instance, source_attrs: tuple[str, ...]):
    for attr in source_attrs:
        instance = instance[attr] if type(instance) is dict else getattr(instance, attr)
        if callable(instance):
            raise _NotPlain
    return instance
