"""What happens after a redemption commits runs in one task for every listener (points, the
satisfaction survey): one task per redeem, queued in the redemption's own transaction (none for a
redeem that did not commit), and a failing listener neither stops the others nor lets the task pass."""

import pytest
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from campaigns.models import NpsSurvey
from config.task_outbox import task_queue
from loyalty.models import EarnRule, PointsEntry
from members.actors import Actor
from redemption import signals
from redemption.models import Redemption
from redemption.services import FOLLOWUPS_TASK, redemption_complete, redemption_redeem, redemption_start
from redemption.tasks import redemption_followups
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from tests.queued_tasks import queued, run_queued
from vouchers.exceptions import VoucherNotUsable

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")


def _followups() -> list[tuple[tuple, dict]]:
    return queued(FOLLOWUPS_TASK)


def _car_with_voucher(**definition):
    member = MemberFactory(consent_service=True)
    car = OwnedVehicleFactory(owner=member)
    return member, car, issue_voucher(DefinitionFactory(**definition), vehicle=car)


def test_a_redeem_queues_one_followup_task_with_its_writes():
    _member, car, voucher = _car_with_voucher()
    redemption = redemption_redeem(
        voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="k-1", actor=SYSTEM
    )
    # Queued in the redemption's transaction: it commits with the redemption or not at all.
    assert _followups() == [((), {"voucher_id": voucher.pk, "idempotency_key": "k-1"})]
    assert redemption_followups(voucher_id=voucher.pk, idempotency_key="k-1") >= 2
    assert NpsSurvey.objects.get().redemption == redemption


@pytest.mark.django_db(transaction=True)
def test_the_task_commits_with_the_redemption_and_a_worker_runs_it():
    """Real commits: the queued row is there once the redemption commits, in the form the cluster's
    workers read (django-q2's signed package), and running it gives the owner a survey."""
    member, car, voucher = _car_with_voucher()
    redemption = redemption_redeem(
        voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="k-1", actor=SYSTEM
    )
    row = OrmQ.objects.get()
    assert row.key == Conf.CLUSTER_NAME and row.lock <= timezone.now()
    assert row.task["func"] == FOLLOWUPS_TASK and row.task["id"]
    assert run_queued(FOLLOWUPS_TASK) == 1
    assert NpsSurvey.objects.get(redemption=redemption).member == member


def test_a_replay_or_a_refusal_queues_nothing():
    _member, car, voucher = _car_with_voucher(uses_per_voucher=1)
    dealer = DealerFactory()
    redemption_redeem(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="k-1", actor=SYSTEM)
    redemption_redeem(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="k-1", actor=SYSTEM)
    with pytest.raises(VoucherNotUsable):
        redemption_redeem(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="k-2", actor=SYSTEM)
    assert len(_followups()) == 1


def test_a_redemption_rolled_back_takes_its_task_with_it():
    _member, car, voucher = _car_with_voucher()
    with pytest.raises(RuntimeError, match="answer failed"), transaction.atomic():

        def failing_answer(_redemption):
            raise RuntimeError("answer failed")

        redemption_redeem(
            voucher=voucher,
            vehicle=car,
            dealer=DealerFactory(),
            idempotency_key="k-1",
            actor=SYSTEM,
            before_commit=failing_answer,
        )
    assert _followups() == [] and not Redemption.objects.exists()


def test_completing_a_held_service_queues_the_followups_too():
    _member, car, voucher = _car_with_voucher()
    dealer = DealerFactory()
    held = redemption_start(voucher=voucher, vehicle=car, dealer=dealer, idempotency_key="s-1", actor=SYSTEM)
    assert _followups() == []
    redemption_complete(redemption=held, idempotency_key="c-1", actor=SYSTEM)
    assert _followups() == [((), {"redemption_id": held.pk})]


def test_on_another_broker_the_task_is_enqueued_after_the_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    """Redis (Q_BROKER=redis) holds no rows in the database: the task goes to it after the commit."""
    monkeypatch.setattr(Conf, "ORM", None)
    calls = []
    monkeypatch.setattr("config.task_outbox.async_task", lambda func, *a, **kw: calls.append((func, a, kw)))
    _member, car, voucher = _car_with_voucher()
    with django_capture_on_commit_callbacks(execute=True):
        redemption_redeem(
            voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="k-1", actor=SYSTEM
        )
        assert calls == []  # not before the commit
    assert calls == [(FOLLOWUPS_TASK, (), {"voucher_id": voucher.pk, "idempotency_key": "k-1"})]
    assert not OrmQ.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_queueing_outside_a_transaction_is_refused():
    with pytest.raises(transaction.TransactionManagementError):
        task_queue(FOLLOWUPS_TASK, redemption_id=1)


def test_the_task_gives_the_owner_points_and_a_survey():
    EarnRule.objects.create(name="進廠", kind=EarnRule.Kind.VISIT, points=50)
    member, car, voucher = _car_with_voucher()
    redemption = redemption_redeem(
        voucher=voucher, vehicle=car, dealer=DealerFactory(), idempotency_key="k-1", actor=SYSTEM
    )
    assert run_queued(FOLLOWUPS_TASK) == 1
    assert PointsEntry.objects.get(account__member=member).delta == 50
    assert NpsSurvey.objects.get(redemption=redemption).member == member
    # A retry of the task (a worker that died after it ran) adds nothing.
    redemption_followups(redemption.pk)
    assert PointsEntry.objects.count() == 1 and NpsSurvey.objects.count() == 1


def test_a_task_naming_a_redemption_that_is_not_there_fails():
    with pytest.raises(Redemption.DoesNotExist):
        redemption_followups(voucher_id=0, idempotency_key="nothing")


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
