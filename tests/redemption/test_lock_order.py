"""Lock order on PostgreSQL: the counter and an ownership transfer of the same car never deadlock.

A transfer locks the vehicle, then (voiding first-owner benefits) the previous owner's vouchers of
that car. A redemption must therefore take the vehicle before the voucher too; taken the other way
round, each waits for the other and PostgreSQL aborts one of them (a 500 at the counter or in the
admin). The counter's transaction is paused just after it locked the voucher, while the transfer
starts, so the interleaving that deadlocks is the one the test runs.
"""

import threading
import time

import pytest
from django.db import connection

import redemption.services as redemption_services
from redemption.models import Redemption
from redemption.services import (
    redemption_cancel,
    redemption_complete,
    redemption_redeem,
    redemption_reverse,
    redemption_start,
)
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vehicles.models import Ownership
from vehicles.services import vehicle_transfer_ownership
from vouchers.models import Voucher, VoucherDefinition
from vouchers.selectors import ledger_drift

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _first_owner_voucher(uses: int = 2):
    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    definition = DefinitionFactory(
        holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE, uses_per_voucher=uses
    )
    return vehicle, issue_voucher(definition, member=owner, vehicle=vehicle)


def _counter_and_transfer(monkeypatch, vehicle, new_owner, counter_work):
    """Run `counter_work()` and a transfer of `vehicle`; the transfer starts once the counter holds
    the voucher's lock, and the counter waits a moment so the transfer takes whatever it can."""
    voucher_locked = threading.Event()

    def pausing(original):
        def lock_then_pause(*args, **kwargs):
            locked = original(*args, **kwargs)
            if threading.current_thread().name == "counter":
                voucher_locked.set()
                time.sleep(1.5)  # longer than PostgreSQL's deadlock_timeout (1 s)
            return locked

        return lock_then_pause

    # One-step redemptions lock the voucher with voucher_for_redemption, the others with
    # voucher_for_update: whichever the service takes, the counter pauses holding it.
    for name in ("voucher_for_update", "voucher_for_redemption"):
        monkeypatch.setattr(redemption_services, name, pausing(getattr(redemption_services, name)))
    outcomes = {}

    def run(name, work):
        try:
            outcomes[name] = ("ok", work())
        except Exception as exc:  # recorded and asserted on below
            outcomes[name] = ("error", exc)
        finally:
            connection.close()

    def transfer():
        assert voucher_locked.wait(10)
        return vehicle_transfer_ownership(vehicle=vehicle, new_owner=new_owner)

    threads = [
        threading.Thread(target=run, args=("counter", counter_work), name="counter"),
        threading.Thread(target=run, args=("transfer", transfer), name="transfer"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck"
    errors = {name: value for name, (outcome, value) in outcomes.items() if outcome == "error"}
    assert errors == {}


def test_redeeming_while_the_car_changes_owner_does_not_deadlock(monkeypatch):
    vehicle, voucher = _first_owner_voucher()
    dealer = DealerFactory()
    new_owner = MemberFactory()

    _counter_and_transfer(
        monkeypatch,
        vehicle,
        new_owner,
        lambda: redemption_redeem(
            voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k1", mileage_km=12000
        ),
    )

    assert Ownership.objects.get(vehicle=vehicle, ended_at__isnull=True).member == new_owner
    redemption = Redemption.objects.get(voucher=voucher)
    assert redemption.status == Redemption.Status.COMPLETED
    voucher.refresh_from_db()
    # The use was recorded first; then the change of owner voided the benefit's remaining use.
    assert (voucher.status, voucher.uses_left) == (Voucher.Status.VOIDED, 1)
    assert ledger_drift().count() == 0


@pytest.mark.parametrize("action", ["start", "complete", "cancel", "reverse"])
def test_the_other_counter_actions_do_not_deadlock_with_a_transfer_either(monkeypatch, action):
    vehicle, voucher = _first_owner_voucher()
    dealer = DealerFactory()
    if action == "start":
        work = lambda: redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="s")  # noqa: E731
    elif action == "reverse":
        done = redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="r")
        work = lambda: redemption_reverse(redemption=done, reason="wrong car")  # noqa: E731
    else:
        held = redemption_start(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="h")
        if action == "complete":
            work = lambda: redemption_complete(redemption=held, idempotency_key="c", mileage_km=500)  # noqa: E731
        else:
            work = lambda: redemption_cancel(redemption=held, reason="customer left")  # noqa: E731

    _counter_and_transfer(monkeypatch, vehicle, MemberFactory(), work)

    voucher.refresh_from_db()
    assert voucher.status == Voucher.Status.VOIDED
    assert ledger_drift().count() == 0
