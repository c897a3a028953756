"""Referrals: a stable code per member; who referred whom recorded once at sign-up; both rewarded once
when the friend first binds a car or pays for a purchase; the guards (self, own car, monthly cap)."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction

from loyalty.exceptions import ReferralCodeUnknown, SelfReferral
from loyalty.models import PointsAccount, PointsEntry, Programme, Referral, ReferralCode
from loyalty.referral_codes import ALPHABET, referral_code_clean
from loyalty.services import referral_code_issue, referral_record, referral_reward
from loyalty.services.referrals import month_bounds
from loyalty.tasks import referral_reward as referral_reward_task
from members.models import Member
from shop.services import order_payment_record
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory, VehicleFactory
from tests.shop.conftest import place_order
from vehicles.services import binding_request_submit, vehicle_transfer_ownership
from vouchers.models import Voucher, VoucherDefinition

from .conftest import SYSTEM, at

pytestmark = pytest.mark.django_db
TAIPEI = ZoneInfo("Asia/Taipei")
Status = Referral.Status


@pytest.fixture
def rewards(db):
    """200 points to the referrer, 100 to the friend, at most 2 rewards a month per referrer."""
    Programme.objects.update_or_create(
        pk=1, defaults={"referrer_points": 200, "friend_points": 100, "referral_monthly_cap": 2}
    )


def _points(member) -> int:
    account = PointsAccount.objects.filter(member=member).first()
    return account.balance if account else 0


def _referred(referrer=None, **friend):
    referrer = referrer or MemberFactory()
    friend = MemberFactory(**friend)
    referral = referral_record(
        friend=friend, code=referral_code_issue(member=referrer).code, now=at(2026, 12, 1)
    )
    return referrer, friend, referral


# --- the code ---------------------------------------------------------------------------------------------


def test_a_member_has_one_stable_code():
    member = MemberFactory()
    first = referral_code_issue(member=member)
    assert referral_code_issue(member=member) == first
    assert len(first.code) == 8 and set(first.code) <= set(ALPHABET)
    assert ReferralCode.objects.filter(member=member).count() == 1


def test_the_database_refuses_a_code_used_twice():
    code = referral_code_issue(member=MemberFactory()).code
    with pytest.raises(IntegrityError), transaction.atomic():
        ReferralCode.objects.create(member=MemberFactory(), code=code)


def test_a_typed_code_ignores_case_and_separators():
    assert referral_code_clean(" abcd-2345 ") == "ABCD2345"
    assert referral_code_clean("O0I1") == ""  # letters a code never has
    assert referral_code_clean("") == ""


# --- recording at sign-up --------------------------------------------------------------------------------


def test_a_friend_is_recorded_once_with_the_first_code():
    referrer, friend, referral = _referred()
    other = referral_code_issue(member=MemberFactory()).code
    assert referral_record(friend=friend, code=other) == referral
    assert (referral.referrer, referral.status, Referral.objects.count()) == (referrer, Status.PENDING, 1)


def test_an_unknown_code_is_refused_and_logged(caplog):
    friend = MemberFactory()
    with caplog.at_level(logging.INFO, logger="loyalty"), pytest.raises(ReferralCodeUnknown):
        referral_record(friend=friend, code="ZZZZ9999")
    assert "referral_code_unknown" in caplog.text and not Referral.objects.exists()


def test_an_erased_members_code_no_longer_works():
    referrer = MemberFactory()
    code = referral_code_issue(member=referrer).code
    Member.objects.filter(pk=referrer.pk).update(phone="", erased_at=at(2026, 11, 1))
    with pytest.raises(ReferralCodeUnknown):
        referral_record(friend=MemberFactory(), code=code)


def test_a_member_cannot_refer_themselves(caplog):
    member = MemberFactory()
    code = referral_code_issue(member=member).code
    with caplog.at_level(logging.INFO, logger="loyalty"), pytest.raises(SelfReferral):
        referral_record(friend=member, code=code.lower())
    assert "referral_self" in caplog.text and not Referral.objects.exists()


def test_the_database_refuses_a_self_referral_and_a_second_referral_of_a_friend():
    member, friend = MemberFactory(), MemberFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(referrer=member, friend=member)
    Referral.objects.create(referrer=member, friend=friend)
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.create(referrer=MemberFactory(), friend=friend)


# --- the reward ---------------------------------------------------------------------------------------------


def test_binding_a_first_car_rewards_both_once(rewards, run_tasks):
    referrer, friend, referral = _referred()
    car = VehicleFactory(registered_owner_phone=friend.phone)
    with run_tasks():
        assert binding_request_submit(member=friend, vin=car.vin, plate=car.plate)[0] == "bound"
    referral.refresh_from_db()
    assert (referral.status, referral.trigger, referral.trigger_ref) == (
        Status.REWARDED,
        "vehicle",
        f"vehicle:{car.pk}",
    )
    assert (_points(referrer), _points(friend)) == (200, 100)
    assert (referral.referrer_points, referral.friend_points) == (200, 100)
    entry = PointsEntry.objects.get(account__member=referrer)
    assert (entry.kind, entry.key) == (PointsEntry.Kind.REFERRAL, f"referral:{referral.pk}:referrer")
    # A second car, a purchase, a replayed task: nothing more.
    second = VehicleFactory(registered_owner_phone=friend.phone)
    with run_tasks():
        binding_request_submit(member=friend, vin=second.vin, plate=second.plate)
        order_payment_record(order=place_order(friend, car), method="cash", reference="C-1", actor=SYSTEM)
    assert referral_reward_task(friend.pk, "vehicle", car.pk) == Status.REWARDED
    assert (_points(referrer), _points(friend)) == (200, 100)
    assert PointsEntry.objects.filter(kind=PointsEntry.Kind.REFERRAL).count() == 2


def test_a_first_paid_purchase_rewards_both(rewards, run_tasks):
    referrer, friend, referral = _referred()
    car = OwnedVehicleFactory(owner=friend)  # came with the dealer's file, no binding event
    order = place_order(friend, car)
    with run_tasks():
        order_payment_record(order=order, method="cash", reference="C-2", actor=SYSTEM)
    referral.refresh_from_db()
    assert (referral.status, referral.trigger_ref) == (Status.REWARDED, f"order:{order.pk}")
    assert (_points(referrer), _points(friend)) == (200, 100)


def test_an_unpaid_order_does_not_qualify(rewards):
    _referrer, friend, _referral = _referred()
    order = place_order(friend, OwnedVehicleFactory(owner=friend))
    assert referral_reward(friend_id=friend.pk, trigger="order", ref_id=order.pk).status == Status.PENDING


def test_a_member_nobody_referred_gets_nothing(rewards, run_tasks):
    member = MemberFactory()
    car = VehicleFactory(registered_owner_phone=member.phone)
    with run_tasks():
        binding_request_submit(member=member, vin=car.vin, plate=car.plate)
    assert referral_reward(friend_id=member.pk, trigger="vehicle", ref_id=car.pk) is None
    assert _points(member) == 0


def test_the_vouchers_operations_chose_are_issued_to_both(rewards):
    gift = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, channel_claim=False)
    welcome = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, channel_claim=False)
    Programme.objects.filter(pk=1).update(referrer_definition=gift, friend_definition=welcome)
    referrer, friend, _referral = _referred()
    referral = referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=VehicleFactory().pk)
    assert (referral.referrer_voucher.member, referral.referrer_voucher.definition) == (referrer, gift)
    assert (referral.friend_voucher.member, referral.friend_voucher.definition) == (friend, welcome)
    assert set(Voucher.objects.values_list("source", flat=True)) == {Voucher.Source.REFERRAL}


def test_a_voucher_out_of_stock_still_gives_the_points_and_is_logged(rewards, caplog):
    gift = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, stock_total=0)
    Programme.objects.filter(pk=1).update(referrer_definition=gift)
    referrer, friend, _referral = _referred()
    with caplog.at_level(logging.WARNING, logger="loyalty"):
        referral = referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=VehicleFactory().pk)
    assert referral.status == Status.REWARDED and referral.referrer_voucher is None
    assert _points(referrer) == 200 and "not issued" in caplog.text


# --- the guards ---------------------------------------------------------------------------------------------


def test_a_car_the_referrer_owned_is_refused_and_logged(rewards, run_tasks, caplog):
    referrer, friend, referral = _referred()
    car = OwnedVehicleFactory(owner=referrer)
    with caplog.at_level(logging.INFO, logger="loyalty"), run_tasks():
        vehicle_transfer_ownership(vehicle=car, new_owner=friend, actor=SYSTEM, reason="sold to a friend")
    referral.refresh_from_db()
    assert (referral.status, referral.refusal) == (Status.REFUSED, "referral_own_vehicle")
    assert (_points(referrer), _points(friend)) == (0, 0)
    assert "referral_own_vehicle" in caplog.text
    # Refused is final: another car later changes nothing.
    assert (
        referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=VehicleFactory().pk).status
        == Status.REFUSED
    )


def test_a_car_registered_to_the_referrers_number_is_refused(rewards):
    referrer, friend, _referral = _referred()
    car = VehicleFactory(registered_owner_phone=referrer.phone)
    referral = referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=car.pk)
    assert referral.refusal == "referral_own_vehicle"


def test_a_purchase_for_the_referrers_former_car_is_refused(rewards):
    referrer, friend, _referral = _referred()
    car = OwnedVehicleFactory(owner=referrer)
    vehicle_transfer_ownership(vehicle=car, new_owner=friend, actor=SYSTEM, reason="sold")
    order = place_order(friend, car)
    order_payment_record(order=order, method="cash", reference="C-3", actor=SYSTEM)
    referral = referral_reward(friend_id=friend.pk, trigger="order", ref_id=order.pk)
    assert referral.refusal == "referral_own_vehicle"


def test_an_erased_referrer_is_refused(rewards):
    referrer, friend, _referral = _referred()
    Member.objects.filter(pk=referrer.pk).update(phone="", erased_at=at(2026, 12, 2))
    referral = referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=VehicleFactory().pk)
    assert referral.refusal == "referral_referrer_erased" and _points(friend) == 0


def test_the_monthly_cap_counts_in_asia_taipei(rewards, caplog):
    referrer = MemberFactory()
    friends = [_referred(referrer)[1] for _ in range(4)]

    def reward(friend, when):
        return referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=VehicleFactory().pk, now=when)

    assert reward(friends[0], at(2026, 11, 3)).status == Status.REWARDED
    assert reward(friends[1], at(2026, 11, 30, 23)).status == Status.REWARDED
    with caplog.at_level(logging.INFO, logger="loyalty"):
        # 30 Nov 23:59 in Taipei is still November (15:59 UTC): the cap of 2 is reached.
        late = datetime(2026, 11, 30, 23, 59, tzinfo=TAIPEI)
        assert reward(friends[2], late).refusal == "referral_monthly_cap"
    assert "referral_monthly_cap" in caplog.text
    # 1 Dec 00:30 in Taipei (30 Nov 16:30 UTC) is December: a new month's cap.
    assert reward(friends[3], datetime(2026, 12, 1, 0, 30, tzinfo=TAIPEI)).status == Status.REWARDED
    assert _points(referrer) == 600


def test_no_cap_when_operations_leave_it_empty(rewards):
    Programme.objects.filter(pk=1).update(referral_monthly_cap=None)
    referrer = MemberFactory()
    for _ in range(3):
        friend = _referred(referrer)[1]
        referral_reward(friend_id=friend.pk, trigger="vehicle", ref_id=VehicleFactory().pk)
    assert _points(referrer) == 600


def test_a_month_runs_from_the_first_to_the_first_in_asia_taipei():
    start, end = month_bounds(datetime(2026, 11, 30, 16, 30, tzinfo=ZoneInfo("UTC")))
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00")


def test_the_database_keeps_a_decision_consistent():
    _referrer, _friend, referral = _referred()
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(status=Status.REFUSED, refusal="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(status=Status.REWARDED)  # no decision time
