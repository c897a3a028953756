"""The API's answers are represented from a plan made once per serializer class
(redemption.api.answer_plans): what they give is what DRF's own representation gives, for every
shape of voucher and redemption, and a class the plan cannot take is left to DRF."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from redemption.api import answer_plans
from redemption.api.serializers import (
    Answer,
    HolderSerializer,
    RedemptionResultSerializer,
    VoucherSerializer,
)
from redemption.models import Redemption
from redemption.services import redemption_redeem, redemption_reverse
from tests.factories.members import DealerFactory, MemberFactory
from tests.factories.vehicles import OwnedVehicleFactory
from tests.factories.voucher_states import vouchers_in_every_state
from tests.factories.vouchers import DefinitionFactory, issue_voucher
from vouchers.models import Voucher, VoucherDefinition

pytestmark = pytest.mark.django_db


def _drf(monkeypatch, make):
    """`make()` as DRF represents it, without the plans."""
    with monkeypatch.context() as patch:
        patch.setattr(Answer, "to_representation", serializers.Serializer.to_representation)
        return make()


def _same(monkeypatch, make) -> dict:
    ours = make()
    theirs = _drf(monkeypatch, make)
    # Equal values and the same keys in the same order: the rendered JSON is byte for byte the same.
    assert json.dumps(ours) == json.dumps(theirs)
    assert ours == theirs
    return ours


def _loaded(voucher: Voucher) -> Voucher:
    return Voucher.objects.select_related("definition", "vehicle", "member").get(pk=voucher.pk)


def test_a_redeems_answer_with_and_without_mileage(monkeypatch):
    vehicle, dealer = OwnedVehicleFactory(), DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=3), vehicle=vehicle)
    first = redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="p-1", mileage_km=1200
    )
    second = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="p-2")
    for redemption in (first, second):
        answer = _same(
            monkeypatch,
            lambda r=redemption: (
                RedemptionResultSerializer({"redemption": r, "voucher": _loaded(voucher)}).data
            ),
        )
        assert answer["redemption"]["id"] == redemption.pk
    assert answer["voucher"]["uses_left"] == 1 and answer["redemption"]["mileage_km"] is None
    assert answer["redemption"]["vehicle"] == {"vin": vehicle.vin, "plate": vehicle.plate}


def test_a_reversed_redemption(monkeypatch):
    vehicle, dealer = OwnedVehicleFactory(), DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=2), vehicle=vehicle)
    redemption = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="r")
    redemption_reverse(redemption=redemption, reason="wrong car")
    redemption = Redemption.objects.select_related("voucher", "dealer", "vehicle").get(pk=redemption.pk)
    answer = _same(
        monkeypatch,
        lambda: RedemptionResultSerializer({"redemption": redemption, "voucher": _loaded(voucher)}).data,
    )
    assert answer["redemption"]["reversal_reason"] == "wrong car"
    assert answer["redemption"]["reversed_at"] is not None


def test_vouchers_in_every_state_one_by_one_and_as_a_list(monkeypatch):
    vehicle = OwnedVehicleFactory()
    cases = vouchers_in_every_state(vehicle=vehicle, dealer=DealerFactory(), holding_dealer=DealerFactory())
    active = issue_voucher(DefinitionFactory(), vehicle=vehicle)
    vouchers = [_loaded(voucher) for voucher in [active, *cases.values()]]
    for voucher in vouchers:
        _same(monkeypatch, lambda v=voucher: VoucherSerializer(v).data)
    listed = _same(monkeypatch, lambda: VoucherSerializer(vouchers, many=True).data)
    assert [v["status"] for v in listed] == [v.status for v in vouchers]
    assert {v["usable_now"] for v in listed} == {True, False}


def test_a_members_voucher_without_a_vehicle_and_empty_holders(monkeypatch):
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER)
    voucher = _loaded(issue_voucher(definition, member=MemberFactory()))
    answer = _same(monkeypatch, lambda: VoucherSerializer(voucher).data)
    assert answer["holder"]["vehicle"] is None and answer["holder"]["member"]["phone"]
    assert _same(monkeypatch, lambda: HolderSerializer({"vehicle": None, "member": None}).data) == {
        "vehicle": None,
        "member": None,
    }


def test_nested_serializers_use_the_roots_context(monkeypatch):
    """The nested voucher's methods read `now` from the context the answer was given."""
    vehicle, dealer = OwnedVehicleFactory(), DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=2, validity_days=30), vehicle=vehicle)
    redemption = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="c")
    result = {"redemption": redemption, "voucher": _loaded(voucher)}
    for days, usable in ((0, True), (29, True), (400, False)):
        context = {"now": timezone.now() + timedelta(days=days)}
        answer = _same(monkeypatch, lambda c=context: RedemptionResultSerializer(result, context=c).data)
        assert answer["voucher"]["usable_now"] is usable
        assert answer["voucher"]["expiring_soon"] is (days == 29)


class _Odd(Answer):
    """Fields the plan reaches only through DRF's `get_attribute`."""

    status_label = serializers.CharField(source="get_status_display")  # a method: DRF calls it
    holder_phone = serializers.CharField(source="member.phone", allow_null=True)  # no member: None
    missing = serializers.CharField(required=False)  # no such attribute: skipped
    missing_key = serializers.CharField(source="nothing", allow_null=True)


def test_callables_missing_attributes_and_null_relations_go_through_drf(monkeypatch):
    vehicle = OwnedVehicleFactory()
    voucher = _loaded(issue_voucher(DefinitionFactory(), vehicle=vehicle))
    answer = _same(monkeypatch, lambda: _Odd(voucher).data)
    assert answer == {"status_label": voucher.get_status_display(), "holder_phone": None, "missing_key": None}


class _Required(Answer):
    code = serializers.CharField()
    absent = serializers.CharField()


def test_a_missing_required_attribute_fails_as_it_does_in_drf(monkeypatch):
    with pytest.raises(KeyError) as ours:
        _Required({"code": "X"}).data  # the property represents
    with pytest.raises(KeyError) as theirs:
        _drf(monkeypatch, lambda: _Required({"code": "X"}).data)
    assert str(ours.value) == str(theirs.value)


class _Unplannable(Answer):
    code = serializers.CharField()
    links = serializers.ListField(child=serializers.CharField())


class _HoldsUnplannable(Answer):
    inner = _Unplannable()


def test_a_class_with_a_field_the_plan_cannot_take_is_left_to_drf(monkeypatch):
    assert answer_plans.plan_of(_Unplannable, Answer) is None
    assert answer_plans.plan_of(_HoldsUnplannable, Answer) is None
    assert answer_plans.plan_of(VoucherSerializer, Answer) is not None
    calls = []
    original = serializers.ListField.to_representation
    monkeypatch.setattr(
        serializers.ListField, "to_representation", lambda self, v: calls.append(v) or original(self, v)
    )
    answer = _HoldsUnplannable({"inner": {"code": "A", "links": ["x", "y"]}}).data
    assert answer == {"inner": {"code": "A", "links": ["x", "y"]}}
    assert calls == [["x", "y"]]


def test_the_plan_is_made_once_per_class_and_shared_by_threads():
    from concurrent.futures import ThreadPoolExecutor

    class Fresh(Answer):
        code = serializers.CharField()

    with ThreadPoolExecutor(8) as pool:
        plans = list(pool.map(lambda _: answer_plans.plan_of(Fresh, Answer), range(32)))
    assert plans[0] is not None and all(plan is plans[0] for plan in plans)
    assert Fresh({"code": "K7QF"}).data == {"code": "K7QF"}


class _Innermost(Answer):
    word = serializers.SerializerMethodField()

    def get_word(self, instance) -> str:
        return f"{self.context['word']} {instance['name']}"


class _MiddleWithoutMethods(Answer):
    name = serializers.CharField()
    inner = _Innermost(source="*")


class _Outermost(Answer):
    middle = _MiddleWithoutMethods(source="*")


def test_a_method_two_levels_down_under_a_serializer_without_methods_reads_the_roots_context(monkeypatch):
    answer = _same(monkeypatch, lambda: _Outermost({"name": "Lin"}, context={"word": "hi"}).data)
    assert answer == {"middle": {"name": "Lin", "inner": {"word": "hi Lin"}}}
