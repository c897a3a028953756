"""A claim checks the claim conditions under the definition's row lock, so operations closing the
claim window (or changing any condition) and an owner claiming at that moment serialise: a claim
that commits after the window closed is refused, never issued on conditions read before."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import DefinitionFactory, OwnedVehicleFactory
from vouchers.exceptions import ClaimRefused
from vouchers.models import Voucher
from vouchers.services import definition_save_step, issuance, voucher_claim

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_closing_the_claim_window_while_an_owner_claims_never_issues_after_it_closed(monkeypatch):
    definition = DefinitionFactory(channel_claim=True)
    vehicle = OwnedVehicleFactory()
    owner = vehicle.ownerships.get().member
    checked = threading.Event()
    refusals = issuance.claim_refusals

    def check_then_pause(*args, **kwargs):
        found = refusals(*args, **kwargs)
        if threading.current_thread().name == "owner":
            checked.set()
            time.sleep(1)
        return found

    monkeypatch.setattr(issuance, "claim_refusals", check_then_pause)
    outcome = {}

    def claim():
        try:
            outcome["vouchers"] = voucher_claim(definition=definition, member=owner, vehicle=vehicle)
        except ClaimRefused as exc:
            outcome["refused"] = exc
        finally:
            outcome["at"] = time.monotonic()
            connection.close()

    owner_thread = threading.Thread(target=claim, name="owner")
    owner_thread.start()
    assert checked.wait(10)
    definition_save_step(
        definition=definition, step=2, values={"claim_ends_at": timezone.now() - timedelta(seconds=1)}
    )
    closed_at = time.monotonic()
    owner_thread.join(timeout=30)

    assert "vouchers" in outcome or "refused" in outcome, outcome
    issued = Voucher.objects.filter(definition=definition).count()
    if "vouchers" in outcome:
        # Issued: only because the claim committed before the operator's change could.
        assert outcome["at"] <= closed_at, "issued on conditions read before the window closed"
        assert issued == 1
    else:
        assert issued == 0
