"""What happens after a redemption commits runs in one task for every listener (points, the
satisfaction survey): one enqueue per redeem, none for a redeem that did not commit, and a failing
listener neither stops the others nor lets the task pass."""

import pytest
from django.dispatch import receiver
from django.utils.module_loading import import_string

from campaigns.models import NpsSurvey
from loyalty.models import EarnRule, PointsEntry
from members.actors import Actor
from redemption import signals
from redemption.models import Redemption
from redemption.services import redemption_complete, redemption_redeem, redemption_start
from redemption.tasks import redemption_followups
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vouchers.exceptions import VoucherNotUsable

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


@pytest.fixture
def enqueued(monkeypatch):
    calls = []
    monkeypatch.setattr("redemption.services.async_task", lambda func, *args: calls.append((func, args)))
    return calls


def _car_with_voucher(**definition):
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    return member, car, issue_voucher(DefinitionFactory(**definition), vehicle=car)


def test_a_redeem_enqueues_one_followup_task_after_its_commit(enqueued, django_capture_on_commit_callbacks):
    _member, car, voucher = _car_with_voucher()
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redemption_redeem(
            voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="k-1", actor=SYSTEM
        )
        assert enqueued == []  # not before the commit
    assert enqueued == [("redemption.tasks.redemption_followups", (redemption.pk,))]


def test_a_replay_or_a_refusal_enqueues_nothing(enqueued, django_capture_on_commit_callbacks):
    _member, car, voucher = _car_with_voucher(uses_per_voucher=1)
    dealer = DealerFactory()
    with django_capture_on_commit_callbacks(execute=True):
        redemption_redeem(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="k-1", actor=SYSTEM)
    with django_capture_on_commit_callbacks(execute=True):
        redemption_redeem(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="k-1", actor=SYSTEM)
    with pytest.raises(VoucherNotUsable), django_capture_on_commit_callbacks(execute=True):
        redemption_redeem(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="k-2", actor=SYSTEM)
    assert len(enqueued) == 1


def test_completing_a_held_service_enqueues_the_followups_too(enqueued, django_capture_on_commit_callbacks):
    _member, car, voucher = _car_with_voucher()
    dealer = DealerFactory()
    held = redemption_start(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="s-1", actor=SYSTEM)
    assert enqueued == []
    with django_capture_on_commit_callbacks(execute=True):
        redemption_complete(redemption=held, idempotency_key="c-1", actor=SYSTEM)
    assert enqueued == [("redemption.tasks.redemption_followups", (held.pk,))]


def test_the_task_gives_the_owner_points_and_a_survey(monkeypatch, django_capture_on_commit_callbacks):
    EarnRule.objects.create(name="進廠", kind=EarnRule.Kind.VISIT, points=50)
    monkeypatch.setattr("redemption.services.async_task", lambda func, *args: import_string(func)(*args))
    member, car, voucher = _car_with_voucher()
    with django_capture_on_commit_callbacks(execute=True):
        redemption = redemption_redeem(
            voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="k-1", actor=SYSTEM
        )
    assert PointsEntry.objects.get(account__member=member).delta == 50
    assert NpsSurvey.objects.get(redemption=redemption).member == member
    # A retry of the task (a worker that died after it ran) adds nothing.
    redemption_followups(redemption.pk)
    assert PointsEntry.objects.count() == 1 and NpsSurvey.objects.count() == 1


def test_a_failing_listener_lets_the_others_run_and_fails_the_task_for_a_retry():
    EarnRule.objects.create(name="進廠", kind=EarnRule.Kind.VISIT, points=50)
    member, car, voucher = _car_with_voucher()
    redemption = redemption_redeem(
        voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="k-1", actor=SYSTEM
    )

    @receiver(signals.redemption_committed, sender=Redemption, dispatch_uid="test.failing_listener")
    def failing(sender, **kwargs):
        raise RuntimeError("listener down")

    try:
        with pytest.raises(RuntimeError, match="listener down"):
            redemption_followups(redemption.pk)
    finally:
        signals.redemption_committed.disconnect(sender=Redemption, dispatch_uid="test.failing_listener")
    assert PointsEntry.objects.get(account__member=member).delta == 50
    assert NpsSurvey.objects.filter(redemption=redemption).exists()
    assert redemption_followups(redemption.pk) >= 2  # the retry passes once the listener is back
