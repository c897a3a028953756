"""The reconcile_ledger command proves that uses_left and status agree with the ledger."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from tests.factories import DealerFactory, DefinitionFactory, OwnedVehicleFactory, issue_voucher
from vouchers.models import Voucher
from vouchers.services import voucher_redeem

pytestmark = pytest.mark.django_db


@pytest.fixture
def vouchers():
    vehicle = OwnedVehicleFactory()
    definition = DefinitionFactory(uses_per_voucher=3)
    issued = [issue_voucher(definition, vehicle=vehicle) for _ in range(3)]
    voucher_redeem(voucher=issued[0], vehicle=vehicle, dealer=DealerFactory())
    return issued


def test_a_consistent_ledger_reports_no_drift(vouchers):
    out = StringIO()

    call_command("reconcile_ledger", stdout=out)

    output = out.getvalue()
    assert f"vouchers checked: {len(vouchers)}" in output
    assert "vouchers drifting from the ledger: 0" in output


def test_tampered_uses_are_found_and_the_command_fails(vouchers):
    Voucher.objects.filter(pk__in=[v.pk for v in vouchers[:2]]).update(uses_left=F("uses_left") - 1)
    out = StringIO()

    with pytest.raises(CommandError) as caught:
        call_command("reconcile_ledger", stdout=out)

    output = out.getvalue()
    assert "vouchers drifting from the ledger: 2" in output
    assert "2 voucher(s)" in str(caught.value)
    for voucher in vouchers[:2]:
        assert voucher.code_display in output
    assert vouchers[2].code_display not in output


def test_a_tampered_status_is_found(vouchers):
    Voucher.objects.filter(pk=vouchers[1].pk).update(status=Voucher.Status.VOIDED)
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("reconcile_ledger", stdout=out)

    assert "vouchers drifting from the ledger: 1" in out.getvalue()
    assert "ledger_status=active" in out.getvalue()


def test_show_limits_the_listing_but_not_the_count(vouchers):
    Voucher.objects.update(uses_left=1)  # 0 would be refused: an active voucher keeps a use
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("reconcile_ledger", "--show", "1", stdout=out)

    output = out.getvalue()
    assert "vouchers drifting from the ledger: 3" in output
    assert sum(v.code_display in output for v in vouchers) == 1
