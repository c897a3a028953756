"""Set-based issuance (`vouchers_issue_each`, campaigns' batches): the rules of `voucher_issue` for
each holder in order, the vouchers `voucher_build` would make, stock and a cap on units."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from members.actors import Actor
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, VehicleFactory
from vehicles.models import Ownership
from vouchers.exceptions import (
    DefinitionNotIssuable,
    HolderLimitReached,
    HolderMissing,
    NotFirstOwner,
    StockExhausted,
)
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition
from vouchers.services import voucher_build
from vouchers.services.set_issue import HolderRequest, vouchers_issue_each

pytestmark = pytest.mark.django_db
Definition = VoucherDefinition


def issue(definition, requests, **kwargs):
    with transaction.atomic():
        return vouchers_issue_each(
            definition=definition,
            requests=requests,
            source=Voucher.Source.CAMPAIGN,
            actor=Actor.system("test"),
            reason="test",
            now=kwargs.pop("now", timezone.now()),
            **kwargs,
        )


def request_for(vehicle, member=None, key=""):
    member = member or vehicle.ownerships.get(ended_at__isnull=True).member
    return HolderRequest(
        member_id=member.pk, vehicle_id=vehicle.pk, delivery_date=vehicle.delivery_date, idempotency_key=key
    )


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"activation_mode": Definition.ActivationMode.HOLDER, "uses_per_voucher": 3},
        {
            "validity_policy": Definition.ValidityPolicy.DELIVERY_WINDOW,
            "validity_days": None,
            "delivery_offset_months": 1,
            "delivery_window_months": 6,
            "series_count": 3,
            "series_step_months": 6,
        },
        {"holder_type": Definition.HolderType.MEMBER},
        {"holder_type": Definition.HolderType.MEMBER_VEHICLE},
    ],
)
def test_the_vouchers_are_those_voucher_build_makes(fields):
    definition = DefinitionFactory(**fields)
    car = OwnedVehicleFactory(delivery_date=timezone.localdate() - timedelta(days=40))
    member = car.ownerships.get().member
    now = timezone.now()
    [outcome] = issue(definition, [request_for(car, key="k-1")], now=now)
    made = list(Voucher.objects.filter(pk__in=outcome.voucher_ids).order_by("series_index"))
    assert [v.pk for v in made] == outcome.voucher_ids
    keep_member = definition.holder_type != Definition.HolderType.VEHICLE
    keep_vehicle = definition.holder_type != Definition.HolderType.MEMBER
    for voucher in made:
        expected = voucher_build(
            definition,
            member=member if keep_member else None,
            vehicle=car if keep_vehicle else None,
            order=None,
            series_index=voucher.series_index,
            source=Voucher.Source.CAMPAIGN,
            now=now,
        )
        skip = {"_state", "id", "code"}
        assert {k: v for k, v in vars(voucher).items() if k not in skip} == {
            k: v for k, v in vars(expected).items() if k not in skip
        }
        entry = LedgerEntry.objects.get(voucher=voucher)
        got = (entry.kind, entry.delta, entry.status_after, entry.uses_left_after, entry.idempotency_key)
        assert got == ("issued", voucher.uses_total, voucher.status, voucher.uses_left, "k-1")
    definition.refresh_from_db()
    assert definition.stock_issued == 1


def test_each_holder_is_decided_in_order_with_voucher_issues_reasons():
    definition = DefinitionFactory(
        holder_type=Definition.HolderType.MEMBER_VEHICLE, per_holder_limit=1, stock_total=3
    )
    first, second_hand, held = OwnedVehicleFactory(), OwnedVehicleFactory(), OwnedVehicleFactory()
    Ownership.objects.filter(vehicle=second_hand).update(is_first_owner=False)
    issue(definition, [request_for(held)])
    stranger = MemberFactory()
    outcomes = issue(
        definition,
        [
            request_for(first),
            request_for(second_hand),
            request_for(held),  # already has its one
            request_for(first, member=stranger),  # not the car's owner
            HolderRequest(member_id=None, vehicle_id=None),
            request_for(first),  # the same holder again: over the limit now
        ],
    )
    assert [(bool(o.voucher_ids), o.refusal) for o in outcomes] == [
        (True, ""),
        (False, NotFirstOwner().message),
        (False, HolderLimitReached().message),
        (False, HolderMissing(holder=Definition.HolderType.MEMBER_VEHICLE.label).message),
        (False, HolderMissing(holder=Definition.HolderType.MEMBER_VEHICLE.label).message),
        (False, HolderLimitReached().message),
    ]


def test_stock_and_the_unit_cap_stop_issuing_exactly():
    definition = DefinitionFactory(stock_total=3)
    cars = [VehicleFactory() for _ in range(5)]
    requests = [HolderRequest(member_id=None, vehicle_id=c.pk, delivery_date=c.delivery_date) for c in cars]
    outcomes = issue(definition, requests, max_units=2)
    assert [(bool(o.voucher_ids), o.reached) for o in outcomes] == [(True, True)] * 2 + [(False, False)] * 3
    outcomes = issue(definition, requests[2:])
    assert [o.refusal for o in outcomes] == ["", StockExhausted().message, StockExhausted().message]
    definition.refresh_from_db()
    assert definition.stock_issued == definition.stock_total == Voucher.objects.count() == 3


def test_a_definition_closed_to_the_channel_refuses_everyone():
    definition = DefinitionFactory(channel_event=False)
    car = VehicleFactory()
    [outcome] = issue(definition, [HolderRequest(member_id=None, vehicle_id=car.pk)])
    assert outcome.refusal == DefinitionNotIssuable().message and not Voucher.objects.exists()


def test_held_by_an_order_is_never_issued_this_way():
    definition = DefinitionFactory(holder_type=Definition.HolderType.ORDER)
    car = OwnedVehicleFactory()
    [outcome] = issue(definition, [request_for(car)])
    assert outcome.refusal == HolderMissing(holder=Definition.HolderType.ORDER.label).message
