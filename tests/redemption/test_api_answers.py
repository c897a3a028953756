"""The API's answer serializers bind shallow copies of their declared fields (redemption.api.serializers
`Answer`): the answer is what DRF's deep copies give, and no bound field is shared between answers
or left on the class."""

import pytest
from rest_framework import serializers

from redemption.api.serializers import Answer, RedemptionResultSerializer, VoucherSerializer
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
