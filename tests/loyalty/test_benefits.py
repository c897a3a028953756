"""Tier benefits: issued to each tier's members once per year, and at once on an upgrade."""

import pytest
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from loyalty.models import BenefitGrant, Programme, TierBenefit, TierLevel
from loyalty.services import account_of, benefits_grant, benefits_grant_all, tier_evaluate
from tests.factories import DefinitionFactory, MemberFactory, issue_voucher
from vouchers.models import Order, Voucher, VoucherDefinition

from .conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_benefit(db):
    for rank, name, spend in [(1, "一般", 0), (2, "銀卡", 20_000), (3, "金卡", 50_000)]:
        TierLevel.objects.update_or_create(
            rank=rank, defaults={"name": name, "spend_twd": spend, "visits": 0}
        )
    TierLevel.objects.filter(rank__gt=3).delete()
    Programme.objects.update_or_create(pk=1, defaults={"tier_measure": Programme.Measure.SPEND})
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER)
    return TierBenefit.objects.create(tier=TierLevel.objects.get(rank=3), definition=definition)


def _gold_member(when):
    member = MemberFactory()
    Order.objects.create(member=member, amount_twd=60_000, status=Order.Status.ISSUED, paid_at=when)
    return member


def test_a_member_of_the_tier_gets_the_benefit_once_a_year(gold_benefit):
    member = _gold_member(at(2026, 1, 10))
    tier_evaluate(member=member, now=at(2026, 1, 11))
    account = account_of(member)
    first = benefits_grant(account_id=account.pk, now=at(2026, 1, 12))
    assert [(g.period, g.voucher.member_id, g.voucher.source) for g in first] == [
        (2026, member.pk, Voucher.Source.TIER_BENEFIT)
    ]
    assert benefits_grant(account_id=account.pk, now=at(2026, 12, 31)) == []  # same year: nothing more
    next_year = benefits_grant(account_id=account.pk, now=at(2027, 1, 1, 9))
    assert [g.period for g in next_year] == [2027]
    assert Voucher.objects.filter(definition=gold_benefit.definition).count() == 2


def test_members_of_other_tiers_and_inactive_benefits_get_nothing(gold_benefit):
    plain = MemberFactory()
    tier_evaluate(member=plain, now=at(2026, 1, 11))
    gold = _gold_member(at(2026, 1, 10))
    tier_evaluate(member=gold, now=at(2026, 1, 11))
    TierBenefit.objects.filter(pk=gold_benefit.pk).update(active=False)
    assert benefits_grant_all(now=at(2026, 1, 12)) == 0
    TierBenefit.objects.filter(pk=gold_benefit.pk).update(active=True)
    assert benefits_grant_all(now=at(2026, 1, 12)) == 1
    assert BenefitGrant.objects.get().account.member_id == gold.pk


def test_an_upgrade_issues_the_new_tiers_benefits_at_once(
    gold_benefit, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("loyalty.services.tiers.async_task", lambda func, *args: import_string(func)(*args))
    member = MemberFactory()
    tier_evaluate(member=member, now=at(2026, 3, 1))
    Order.objects.create(member=member, amount_twd=55_000, status=Order.Status.ISSUED, paid_at=at(2026, 3, 2))
    with django_capture_on_commit_callbacks(execute=True):
        tier_evaluate(member=member, now=at(2026, 3, 3))
    assert BenefitGrant.objects.get().period == 2026
    assert benefits_grant_all(now=at(2026, 3, 4)) == 0  # the nightly run gives nothing twice


def test_a_refused_issue_grants_nothing_and_is_tried_again(gold_benefit):
    VoucherDefinition.objects.filter(pk=gold_benefit.definition_id).update(stock_total=0)
    member = _gold_member(at(2026, 1, 10))
    tier_evaluate(member=member, now=at(2026, 1, 11))
    assert benefits_grant_all(now=at(2026, 1, 12)) == 0
    VoucherDefinition.objects.filter(pk=gold_benefit.definition_id).update(stock_total=None)
    assert benefits_grant_all(now=at(2026, 1, 13)) == 1


def test_the_database_refuses_a_second_grant_in_a_period(gold_benefit):
    member = _gold_member(at(2026, 1, 10))
    tier_evaluate(member=member, now=at(2026, 1, 11))
    grant = benefits_grant(account_id=account_of(member).pk, now=at(2026, 1, 12))[0]
    other = issue_voucher(gold_benefit.definition, member=member)  # a second voucher, same period
    with pytest.raises(IntegrityError), transaction.atomic():
        BenefitGrant.objects.create(benefit=gold_benefit, account=grant.account, period=2026, voucher=other)
