"""Races against PostgreSQL: simultaneous redemptions and claims serialise on row locks.

Each thread uses (and closes) its own database connection; a Barrier starts them together.
`select_for_update` proves nothing inside a test transaction, hence transaction=True.
"""

import threading

import pytest
from django.db import connection

from redemption.models import Redemption
from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vouchers.exceptions import StockExhausted, VoucherNotUsable
from vouchers.models import LedgerEntry, Voucher
from vouchers.selectors import ledger_drift
from vouchers.services import voucher_claim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(n: int, work) -> list[tuple[str, object]]:
    """Run work(i) in n threads released together; ("ok", result) or ("error", exception) each."""
    barrier = threading.Barrier(n)
    results: list[tuple[str, object] | None] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", work(i))
        except Exception as exc:  # recorded and asserted on by the test
            results[i] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    assert all(result is not None for result in results)
    return results


def successes(results):
    return [value for outcome, value in results if outcome == "ok"]


def errors(results):
    return [value for outcome, value in results if outcome == "error"]


def test_fifty_simultaneous_redemptions_of_a_single_use_voucher_give_exactly_one_success():
    vehicle = OwnedVehicleFactory()
    dealer = DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=1), vehicle=vehicle)

    results = race(
        50,
        lambda i: redemption_redeem(
            voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key=f"terminal-{i}"
        ),
    )

    won, lost = successes(results), errors(results)
    assert len(won) == 1
    assert len(lost) == 49
    assert all(isinstance(exc, VoucherNotUsable) for exc in lost), {type(exc) for exc in lost}
    assert {exc.code for exc in lost} == {"voucher_exhausted"}
    voucher.refresh_from_db()
    assert (voucher.status, voucher.uses_left) == (Voucher.Status.USED, 0)
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    assert voucher.ledger.filter(kind=LedgerEntry.Kind.REDEEMED).count() == 1
    assert ledger_drift().count() == 0


def test_twenty_simultaneous_redemptions_of_a_five_use_voucher_give_exactly_five():
    vehicle = OwnedVehicleFactory()
    dealer = DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=5), vehicle=vehicle)

    results = race(
        20,
        lambda i: redemption_redeem(
            voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key=f"terminal-{i}"
        ),
    )

    won, lost = successes(results), errors(results)
    assert len(won) == 5
    assert len({r.pk for r in won}) == 5
    assert len(lost) == 15
    assert {exc.code for exc in lost if isinstance(exc, VoucherNotUsable)} == {"voucher_exhausted"}
    assert all(isinstance(exc, VoucherNotUsable) for exc in lost)
    voucher.refresh_from_db()
    assert (voucher.status, voucher.uses_left) == (Voucher.Status.USED, 0)
    assert Redemption.objects.filter(voucher=voucher).count() == 5
    assert ledger_drift().count() == 0


def test_ten_simultaneous_retries_with_one_idempotency_key_redeem_once():
    vehicle = OwnedVehicleFactory()
    dealer = DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=3), vehicle=vehicle)

    results = race(
        10,
        lambda i: redemption_redeem(
            voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="double-click"
        ),
    )

    assert errors(results) == []
    won = successes(results)
    assert len(won) == 10
    assert len({r.pk for r in won}) == 1
    assert Redemption.objects.filter(voucher=voucher).count() == 1
    voucher.refresh_from_db()
    assert (voucher.status, voucher.uses_left) == (Voucher.Status.ACTIVE, 2)
    assert voucher.ledger.filter(kind=LedgerEntry.Kind.REDEEMED).count() == 1
    assert ledger_drift().count() == 0


def test_twenty_simultaneous_claims_of_a_stock_of_five_issue_exactly_five():
    definition = DefinitionFactory(channel_claim=True, stock_total=5)
    members = [MemberFactory() for _ in range(20)]
    vehicles = [OwnedVehicleFactory(owner=member) for member in members]

    results = race(20, lambda i: voucher_claim(definition=definition, member=members[i], vehicle=vehicles[i]))

    won, lost = successes(results), errors(results)
    assert len(won) == 5
    assert len(lost) == 15
    assert all(isinstance(exc, StockExhausted) for exc in lost), {type(exc) for exc in lost}
    definition.refresh_from_db()
    assert definition.stock_issued == 5
    assert Voucher.objects.filter(definition=definition).count() == 5
    assert {v.vehicle_id for v in Voucher.objects.filter(definition=definition)} == {
        batch[0].vehicle_id for batch in won
    }
    assert ledger_drift().count() == 0
