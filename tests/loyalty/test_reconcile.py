"""`reconcile_points` recomputes every balance from the ledger and fails on drift."""

import pytest
from django.core.management import CommandError, call_command

from loyalty.models import PointsAccount, PointsLot
from loyalty.services import points_credit, points_debit
from tests.factories import MemberFactory

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(rules):
    member = MemberFactory()
    points_credit(member=member, kind="bonus", points=100, key=None, actor=SYSTEM)
    points_debit(member=member, points=30, actor=SYSTEM)
    points_credit(member=MemberFactory(), kind="bonus", points=7, key=None, actor=SYSTEM)
    return member


def test_an_exact_ledger_reconciles(ledger, capsys):
    call_command("reconcile_points")
    out = capsys.readouterr().out
    assert "points accounts checked: 2" in out
    assert "accounts drifting from the ledger: 0" in out


def test_a_balance_changed_behind_the_ledgers_back_is_found(ledger, capsys):
    PointsAccount.objects.filter(member=ledger).update(balance=71)
    with pytest.raises(CommandError, match="1 account"):
        call_command("reconcile_points")
    assert f"member {ledger.pk}: balance=71 ledger=70 lots=70" in capsys.readouterr().out


def test_a_lot_changed_behind_the_ledgers_back_is_found(ledger, capsys):
    lot = PointsLot.objects.filter(account__member=ledger).get()
    PointsLot.objects.filter(pk=lot.pk).update(remaining=69)
    with pytest.raises(CommandError, match=r"1 account\(s\) and 1 lot"):
        call_command("reconcile_points")
    assert f"lot {lot.pk}: remaining=69 points=100 used=30" in capsys.readouterr().out
