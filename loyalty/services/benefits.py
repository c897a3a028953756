"""Tier benefits: each member of a tier receives its vouchers once per calendar year (Asia/Taipei),
at the nightly run and at once when they reach the tier. A second grant for the same benefit, member
and year is refused by a unique constraint; a refusal to issue (stock) leaves it for the next night."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import DomainError
from members.actors import Actor
from vouchers.models import Voucher
from vouchers.services import voucher_issue

from ..locks import account_for_update
from ..models import BenefitGrant, TierBenefit, TierStanding

logger = logging.getLogger(__name__)
BENEFITS = Actor.system("tier-benefits")


def benefits_grant(*, account_id: int, now: datetime | None = None) -> list[BenefitGrant]:
    """Give the member every benefit of their current tier not yet given this year."""
    now = now or timezone.now()
    period = timezone.localtime(now).year
    granted = []
    with transaction.atomic():
        account = account_for_update(account_id)
        standing = TierStanding.objects.filter(account=account).first()
        if standing is None:
            return []
        benefits = TierBenefit.objects.filter(tier_id=standing.tier_id, active=True).select_related(
            "definition"
        )
        given = set(
            BenefitGrant.objects.filter(account=account, period=period).values_list("benefit_id", flat=True)
        )
        for benefit in benefits:
            if benefit.pk in given:
                continue
            try:
                with transaction.atomic():
                    voucher = voucher_issue(
                        definition=benefit.definition,
                        source=Voucher.Source.TIER_BENEFIT,
                        member=account.member,
                        actor=BENEFITS,
                        reason=f"tier-benefit:{benefit.pk}:{period}",
                        idempotency_key=f"tier-benefit:{benefit.pk}:{account.pk}:{period}",
                        now=now,
                    )[0]
                    granted.append(
                        BenefitGrant.objects.create(
                            benefit=benefit, account=account, period=period, voucher=voucher, created_at=now
                        )
                    )
            except (DomainError, IntegrityError) as exc:
                logger.warning("tier benefit %s for account %s not issued: %s", benefit.pk, account.pk, exc)
    return granted


def benefits_grant_all(*, now: datetime | None = None) -> int:
    """The nightly run: every member whose tier has active benefits; how many were issued."""
    now = now or timezone.now()
    tiers = TierBenefit.objects.filter(active=True).values_list("tier_id", flat=True)
    accounts = (
        TierStanding.objects.filter(tier_id__in=tiers)
        .order_by("account_id")
        .values_list("account_id", flat=True)
    )
    return sum(len(benefits_grant(account_id=account_id, now=now)) for account_id in accounts.iterator())
