"""The API's answer serializers and the redeem's request serializer bind shallow copies of their
declared fields (redemption.api.serializers `Lean`): the answer and the validation are what DRF's
deep copies give, and no bound field is shared between uses or left on the class."""

import pytest
from rest_framework import serializers

from redemption.api.serializers import (
    Answer,
    Lean,
    RedeemRequestSerializer,
    RedemptionResultSerializer,
    VoucherSerializer,
)
from redemption.services import redemption_redeem
from vouchers.models import Voucher

from .api_support import scene

pytestmark = pytest.mark.django_db


@pytest.fixture
def result():
    s = scene(uses_per_voucher=3)
    redemption = redemption_redeem(
        voucher=s.voucher, vehicle=s.vehicle, dealer=s.dealer, idempotency_key="answer-1", mileage_km=1200
    )
    voucher = Voucher.objects.select_related("definition", "vehicle", "member").get(pk=s.voucher.pk)
    return {"redemption": redemption, "voucher": voucher}


def test_the_answer_is_what_drf_deep_copies_give(result, monkeypatch):
    ours = RedemptionResultSerializer(result).data
    monkeypatch.setattr(Answer, "get_fields", serializers.Serializer.get_fields)
    theirs = RedemptionResultSerializer(result).data
    assert ours == theirs
    assert ours["voucher"]["uses_left"] == 2 and ours["redemption"]["mileage_km"] == 1200


def test_each_answer_binds_fields_of_its_own_and_the_declared_ones_stay_unbound(result):
    first, second = VoucherSerializer(result["voucher"]), VoucherSerializer(result["voucher"])
    assert first.data == second.data  # binds and uses every field
    for name, declared in VoucherSerializer._declared_fields.items():
        mine, theirs = first.fields[name], second.fields[name]
        assert mine is not theirs and mine is not declared
        assert mine.parent is first and theirs.parent is second
        assert declared.parent is None and declared.field_name is None
        assert type(mine) is type(declared)
    nested = first.fields["definition"]
    assert nested.fields["code"].parent is nested
    assert nested.fields is not second.fields["definition"].fields


REQUESTS = [
    {"dealer": "D001", "vin": "WBA00000000000000", "mileage_km": 1200, "work_order": "WO-1"},
    {"dealer": "D001", "vehicle": {"plate": "ABC-1234"}, "odometer_replaced": True},
    {"dealer": "D001", "vehicle": {"vin": "x" * 65}},  # too long, nested
    {"dealer": "D001", "vin": "WBA00000000000000", "plate": "ABC-1234", "vehicle": {"vin": "x"}},  # both
    {"dealer": "", "mileage_km": -1, "work_order": "W" * 41},  # several fields wrong
    {"dealer": "D001", "mileage_km": "12 km"},
    {"vin": "WBA00000000000000"},  # no dealer
]


def _validated(data: dict) -> tuple[bool, dict]:
    request = RedeemRequestSerializer(data=data)
    valid = request.is_valid()
    return valid, dict(request.validated_data) if valid else request.errors


@pytest.mark.parametrize("data", REQUESTS)
def test_the_request_is_validated_as_drf_deep_copies_validate_it(data, monkeypatch):
    ours = [_validated(data), _validated(data)]  # twice: nothing a use leaves changes the next
    monkeypatch.setattr(Lean, "get_fields", serializers.Serializer.get_fields)
    theirs = _validated(data)
    assert ours == [theirs, theirs]


def test_each_request_binds_fields_of_its_own():
    first, second = RedeemRequestSerializer(data=REQUESTS[1]), RedeemRequestSerializer(data=REQUESTS[0])
    assert first.is_valid() and second.is_valid()
    for name, declared in RedeemRequestSerializer._declared_fields.items():
        mine, theirs = first.fields[name], second.fields[name]
        assert mine is not theirs and mine is not declared and mine.parent is first
        assert declared.parent is None and declared.field_name is None
    assert first.fields["vehicle"].fields is not second.fields["vehicle"].fields
