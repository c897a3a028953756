"""Offers under concurrency (PostgreSQL): two runs at once issue one voucher and write one message."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from campaigns.models import FollowUp, FollowUpRule, Notification, ReminderOffer, ReminderOfferGrant
from campaigns.services.followups import followups_send
from campaigns.services.notify import Draft
from campaigns.services.offers import OfferTarget, reminder_offers_attach
from redemption.services import redemption_redeem
from tests.concurrency import together
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vouchers.models import Voucher, VoucherDefinition

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TPE = ZoneInfo("Asia/Taipei")
NIGHT = datetime(2026, 12, 6, 2, 20, tzinfo=TPE)


def test_concurrent_follow_up_runs_issue_and_tell_once():
    offer = DefinitionFactory()
    rule = FollowUpRule.objects.create(
        name="鍍膜半年保養優惠",
        trigger_category=VoucherDefinition.Category.COATING,
        after_months=6,
        definition=offer,
        message_zh_hant="{{ name }} 您好：{{ offer_url }}",
    )
    car = OwnedVehicleFactory(owner=MemberFactory(consent_marketing=True))
    coating = DefinitionFactory(category=VoucherDefinition.Category.COATING, validity_days=400)
    voucher = issue_voucher(coating, vehicle=car, now=datetime(2026, 6, 1, 9, tzinfo=TPE))
    redemption_redeem(
        voucher=voucher,
        vehicle=car,
        dealer=DealerFactory(),
        idempotency_key="coating",
        now=datetime(2026, 6, 1, 10, tzinfo=TPE),
    )
    written = together(4, lambda i: followups_send(now=NIGHT)[0])
    assert sum(written) == 1
    assert Voucher.objects.filter(definition=offer).count() == 1
    assert FollowUp.objects.filter(rule=rule).count() == 1
    assert Notification.objects.filter(purpose="follow_up").count() == 1


def test_concurrent_reminder_batches_grant_one_offer_per_occurrence():
    offer = DefinitionFactory()
    ReminderOffer.objects.create(name="保養提醒附贈洗車券", reminder="service_reminder", definition=offer)
    car = OwnedVehicleFactory(delivery_date=date(2025, 1, 1))
    member = car.ownerships.get().member

    def attach(i):
        draft = Draft(
            member=member,
            purpose="service_reminder",
            template_key="service_reminder",
            dedup_key="service:race",
        )
        reminder_offers_attach(
            reminder="service_reminder",
            targets=[OfferTarget(draft, vehicle_id=car.pk, model_id=car.model_id)],
            now=NIGHT,
        )
        return draft.context.get("offer_url")

    links = together(4, attach)
    [voucher] = Voucher.objects.filter(definition=offer)
    assert ReminderOfferGrant.objects.count() == 1
    assert {link for link in links if link} == {f"{settings.SITE_URL}/portal/vouchers/{voucher.pk}/"}
