"""Finance's part of the demo data: settlement prices, expected breakage rates, last month's
statements (the first dealer's approved, the others drafts) and the money facts."""

from datetime import datetime, timedelta

from django.utils import timezone

from members.actors import Actor
from members.models import Dealer
from vouchers.models import VoucherDefinition
from vouchers.services import definition_set_settlement_price

from .periods import month_start
from .services import breakage_rate_set, facts_rebuild, statement_approve, statement_draft

# NT$ per use the brand pays a dealer, by service category.
DEMO_PRICES = {
    "wash": 250,
    "detailing": 1200,
    "coating": 3000,
    "interior": 900,
    "tyre": 400,
    "maintenance": 1800,
}
DEMO_RATES = {"wash": 1500, "detailing": 800, "coating": 500}


def seed_finance_demo(*, now: datetime) -> None:
    demo = Actor.system("demo")
    for definition in VoucherDefinition.objects.order_by("pk"):
        definition_set_settlement_price(
            definition=definition, price_twd=DEMO_PRICES.get(definition.category, 500), actor=demo
        )
    today = timezone.localdate(now)
    for category, rate in DEMO_RATES.items():
        breakage_rate_set(
            category=category,
            effective_from=today.replace(month=1, day=1) - timedelta(days=365 * 3),
            rate_bp=rate,
            actor=demo,
            note="示範：依過去三年的過期比例估計",
        )
    last_month = month_start(month_start(today) - timedelta(days=1))
    for index, dealer in enumerate(Dealer.objects.order_by("pk")):
        statement = statement_draft(dealer=dealer, month=last_month, actor=demo, now=now)
        if index == 0:
            statement_approve(statement=statement, actor=demo, now=now)
    facts_rebuild(now=now)
