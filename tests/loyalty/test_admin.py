"""Back office: earn rules, tiers, a member's points history, manual adjustments (reason, audit)."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from loyalty.models import EarnRule, PointsAccount, PointsEntry
from loyalty.services import account_of, points_credit
from tests.factories import MemberFactory
from tests.factories.staff import staff_user, use_english

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def operations(client, settings):
    use_english(settings)
    user = staff_user("Operations")
    client.force_login(user)
    return user


@pytest.fixture
def account(rules):
    member = MemberFactory(name="王小明")
    points_credit(member=member, kind=PointsEntry.Kind.BONUS, points=100, key=None, actor=SYSTEM)
    return account_of(member)


def _adjust(client, account, **data):
    return client.post(reverse("admin:loyalty_pointsaccount_adjust", args=[account.pk]), data)


def test_an_adjustment_with_a_reason_is_made_and_audited(client, operations, account):
    response = _adjust(client, account, points="-30", reason="重複給點")
    assert response.status_code == 302
    entry = PointsEntry.objects.filter(kind=PointsEntry.Kind.ADJUSTED).get()
    assert (entry.delta, entry.reason, entry.actor_id) == (-30, "重複給點", operations.pk)
    log = LogEntry.objects.get(object_id=str(account.pk))
    assert "重複給點" in log.change_message and "-30" in log.change_message
    page = client.get(reverse("admin:loyalty_pointsaccount_change", args=[account.pk])).content.decode()
    assert "重複給點" in page and "Adjust points" in page


def test_an_adjustment_without_a_reason_is_refused_and_changes_nothing(client, operations, account):
    response = _adjust(client, account, points="10", reason="  ")
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    assert PointsAccount.objects.get(pk=account.pk).balance == 100
    assert not LogEntry.objects.exists()


def test_taking_more_than_the_balance_is_refused_on_the_form(client, operations, account):
    response = _adjust(client, account, points="-101", reason="x")
    assert "Not enough points: 100 available, 101 needed." in response.content.decode()
    assert PointsAccount.objects.get(pk=account.pk).balance == 100
    assert not LogEntry.objects.exists()


def test_finance_sees_points_but_cannot_adjust(client, settings, account):
    use_english(settings)
    client.force_login(staff_user("Finance"))
    assert client.get(reverse("admin:loyalty_pointsaccount_change", args=[account.pk])).status_code == 200
    assert _adjust(client, account, points="10", reason="x").status_code == 403


def test_earn_rule_form_refuses_incomplete_rules(client, operations):
    url = reverse("admin:loyalty_earnrule_add")
    response = client.post(url, {"name": "消費", "kind": "spend", "points": "1", "per_twd": ""})
    assert "A spend rule needs points and a step in NT$." in response.content.decode()
    birthday = {"name": "生日", "kind": "birthday", "points": "0", "multiplier_percent": "50"}
    response = client.post(url, birthday)
    assert "A birthday multiplier is at least 100%." in response.content.decode()
    response = client.post(
        url,
        {"name": "x", "kind": "bonus", "points": "5", "starts_on": "2026-12-10", "ends_on": "2026-12-01"},
    )
    assert "The end comes before the start." in response.content.decode()
    assert not EarnRule.objects.filter(name__in=["消費", "生日", "x"]).exists()
    response = client.post(url, {"name": "雙倍", "kind": "bonus", "points": "5", "active": "on"})
    assert response.status_code == 302 and EarnRule.objects.filter(name="雙倍").exists()
