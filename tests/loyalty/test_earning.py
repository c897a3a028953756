"""Earning from other apps' events (through their signals, after commit) and taking points back."""

from datetime import date

import pytest
from django.utils import timezone

from loyalty.models import EarnRule, PointsAccount, PointsEntry
from loyalty.rules import earn_assess
from members.actors import Actor
from redemption.services import redemption_redeem, redemption_reverse
from shop.invoicing.ecpay import invoice_client
from shop.payments.ecpay import gateway
from shop.services import order_payment_record, order_refund_approve, order_refund_request
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from tests.factories.staff import staff_user
from tests.shop.conftest import buyer, einvoice, place_order  # noqa: F401  (fixtures)
from vehicles.models import Visit
from vehicles.services import Origin, visit_record

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db
Kind = PointsEntry.Kind


def _balance(member) -> int:
    account = PointsAccount.objects.filter(member=member).first()
    return account.balance if account else 0


# --- the assessment (pure) ---------------------------------------------------------------------------


def test_spend_earns_per_whole_step_and_bonus_is_added_after_the_birthday_multiplier(rules):
    EarnRule.objects.create(name="12月加碼", kind=EarnRule.Kind.BONUS, points=30, starts_on=date(2026, 12, 1))
    plain = earn_assess(on=date(2026, 12, 6), birthday=date(1990, 5, 1), amount_twd=2_099)
    assert (plain.base, plain.bonus, plain.multiplier_percent, plain.points) == (20, 30, 100, 50)
    birthday = earn_assess(on=date(2026, 12, 6), birthday=date(1990, 12, 25), amount_twd=2_099)
    assert (birthday.multiplier_percent, birthday.points) == (200, 70)


def test_rules_outside_their_dates_or_inactive_do_not_apply(rules):
    EarnRule.objects.create(name="舊活動", kind=EarnRule.Kind.BONUS, points=30, ends_on=date(2026, 11, 30))
    EarnRule.objects.create(name="停用", kind=EarnRule.Kind.SPEND, points=5, per_twd=100, active=False)
    assert earn_assess(on=date(2026, 12, 6), birthday=None, amount_twd=1_000).points == 10


def test_the_highest_birthday_multiplier_applies_and_only_to_visits_and_spend(rules):
    EarnRule.objects.create(name="生日三倍", kind=EarnRule.Kind.BIRTHDAY, multiplier_percent=300)
    assert earn_assess(on=date(2026, 12, 6), birthday=date(1990, 12, 1), visit=True).points == 150
    assert earn_assess(on=date(2026, 12, 6), birthday=date(1990, 12, 1)).points == 0


def test_no_rules_earn_nothing(db):
    assert earn_assess(on=date(2026, 12, 6), birthday=None, amount_twd=5_000, visit=True).points == 0


def test_the_database_refuses_a_spend_rule_without_a_step_and_a_birthday_rule_below_100(db):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        EarnRule.objects.create(name="x", kind=EarnRule.Kind.SPEND, points=1, per_twd=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        EarnRule.objects.create(name="x", kind=EarnRule.Kind.BIRTHDAY, multiplier_percent=50)


# --- purchases and refunds -----------------------------------------------------------------------------


def _cash_order(member, vehicle, **kwargs):
    order = place_order(member, vehicle, **kwargs)
    return order_payment_record(order=order, method="cash", reference=f"C-{order.pk}", actor=SYSTEM)


def test_a_paid_order_earns_once_after_commit(rules, buyer, run_tasks):  # noqa: F811
    member, vehicle = buyer
    with run_tasks():
        order = _cash_order(member, vehicle, quantity=2)  # 2 packs at NT$2,000
    entry = PointsEntry.objects.get(kind=Kind.PURCHASE)
    assert (entry.delta, entry.key, entry.data["amount_twd"]) == (40, f"order:{order.pk}", 4000)
    from loyalty.tasks import order_earn

    assert order_earn(order.pk) == 40  # a second run replays the first
    assert _balance(member) == 40


def test_an_unpaid_order_earns_nothing(rules, buyer, run_tasks):  # noqa: F811
    member, vehicle = buyer
    with run_tasks():
        place_order(member, vehicle)
    assert not PointsEntry.objects.exists()


def test_a_refund_takes_back_its_share_of_the_points(rules, buyer, einvoice, run_tasks):  # noqa: F811
    member, vehicle = buyer
    with run_tasks():
        order = _cash_order(member, vehicle, quantity=2)
    refund = order_refund_request(order=order, member=member)
    with run_tasks():
        order_refund_approve(
            refund=refund,
            actor=Actor.operations(staff_user("Finance")),
            gateway=gateway(),
            invoice_client=invoice_client(),
            reference="TR-1",
        )
    reversal = PointsEntry.objects.get(kind=Kind.REVERSED)
    assert (reversal.delta, reversal.key, reversal.reverses.kind) == (
        -40,
        f"refund:{refund.pk}",
        Kind.PURCHASE,
    )
    assert _balance(member) == 0


# --- visits and redemptions ------------------------------------------------------------------------------


def test_a_workshop_visit_earns_its_owner_once_per_vehicle_and_day(rules, run_tasks):
    member = MemberFactory(birthday=None)
    vehicle = OwnedVehicleFactory(owner=member)
    dealer = DealerFactory()
    day = timezone.localdate()
    origin = Origin(source=Visit.Source.IMPORT, label="dms.csv")
    with run_tasks():
        visit_record(vehicle=vehicle, dealer=dealer, visited_on=day, repair_order="RO-1", origin=origin)
        visit_record(vehicle=vehicle, dealer=dealer, visited_on=day, repair_order="RO-2", origin=origin)
    entry = PointsEntry.objects.get(kind=Kind.VISIT)
    assert (entry.delta, entry.data["source"]) == (50, f"visit:{Visit.objects.get(repair_order='RO-1').pk}")
    assert _balance(member) == 50


def test_a_visit_of_a_vehicle_without_an_owner_earns_nothing(rules, run_tasks):
    from tests.factories import VehicleFactory

    with run_tasks():
        visit_record(
            vehicle=VehicleFactory(),
            dealer=DealerFactory(),
            visited_on=timezone.localdate(),
            repair_order="RO-9",
            origin=Origin(source=Visit.Source.API),
        )
    assert not PointsEntry.objects.exists()


def test_a_counter_redemption_is_a_visit_and_its_reversal_takes_the_points_back(rules, run_tasks):
    member = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=member)
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle)
    dealer = DealerFactory()
    with run_tasks():
        redemption = redemption_redeem(
            voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k-000000000001", actor=SYSTEM
        )
    assert _balance(member) == 50
    with run_tasks():
        redemption_reverse(redemption=redemption, reason="按錯", actor=SYSTEM)
    reversal = PointsEntry.objects.get(kind=Kind.REVERSED)
    assert (reversal.delta, reversal.key) == (-50, f"redemption-reversed:{redemption.pk}")
    assert _balance(member) == 0


def test_reversing_a_redemption_does_not_take_a_dms_visits_points(rules, run_tasks):
    member = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=member)
    voucher = issue_voucher(DefinitionFactory(), vehicle=vehicle)
    with run_tasks():
        visit_record(
            vehicle=vehicle,
            dealer=DealerFactory(),
            visited_on=timezone.localdate(),
            repair_order="RO-1",
            origin=Origin(source=Visit.Source.IMPORT),
        )
        redemption = redemption_redeem(
            voucher=voucher,
            vehicle=vehicle,
            dealer=DealerFactory(),
            idempotency_key="k-000000000002",
            actor=SYSTEM,
        )
    with run_tasks():
        redemption_reverse(redemption=redemption, reason="按錯", actor=SYSTEM)
    assert _balance(member) == 50
    assert not PointsEntry.objects.filter(kind=Kind.REVERSED).exists()
