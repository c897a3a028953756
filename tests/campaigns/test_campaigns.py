"""Campaigns: scheduling rules, dry run, the run (idempotent, budget, stock), results."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.exceptions import CampaignIncomplete, CampaignNotEditable
from campaigns.models import Campaign, CampaignRecipient, Notification, Segment
from campaigns.selectors import campaign_dry_run, campaign_results
from campaigns.services import (
    campaign_cancel,
    campaign_pause,
    campaign_schedule,
    campaigns_run_due,
    notification_deliver,
)
from redemption.services import redemption_redeem
from tests.factories import DealerFactory, DefinitionFactory, MemberFactory, OwnedVehicleFactory
from vehicles.models import Visit
from vehicles.services import Origin, visit_record
from vouchers.models import Voucher, VoucherDefinition

pytestmark = pytest.mark.django_db


@pytest.fixture
def audience(db):
    """Three cars: two owners with marketing consent (one English-speaking), one without."""
    yes = MemberFactory(consent_marketing=True, name="王小明")
    english = MemberFactory(consent_marketing=True, name="Alice", language="en")
    no = MemberFactory(consent_marketing=False)
    cars = [OwnedVehicleFactory(owner=m) for m in (yes, english, no)]
    return Segment.objects.create(name="everyone"), cars


def make(segment, **kwargs):
    defaults = dict(
        name="秋季洗車",
        segment=segment,
        send_message=True,
        message_zh_hant="{{ name }} 您好，{{ plate }} 秋季洗車優惠",
        message_en="Hello {{ name }}, autumn wash for {{ plate }}",
    )
    return Campaign.objects.create(**{**defaults, **kwargs})


def run(now=None):
    return campaigns_run_due(now=now or timezone.now())


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"send_message": False}, "action"),
        ({"message_zh_hant": ""}, "Traditional Chinese"),
        ({"message_en": "{% if %}"}, "not a valid template"),
    ],
)
def test_schedule_refuses_an_incomplete_campaign(audience, changes, problem):
    campaign = make(audience[0], **changes)
    with pytest.raises(CampaignIncomplete, match=problem):
        campaign_schedule(campaign=campaign)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_schedule_refuses_an_unpublished_voucher(audience):
    draft = DefinitionFactory(status=VoucherDefinition.Status.DRAFT)
    with pytest.raises(CampaignIncomplete):
        campaign_schedule(campaign=make(audience[0], definition=draft))


def test_only_drafts_and_paused_campaigns_can_be_scheduled(audience):
    campaign = make(audience[0])
    campaign_schedule(campaign=campaign)
    with pytest.raises(CampaignNotEditable):
        campaign_schedule(campaign=campaign)
    campaign_pause(campaign=campaign)
    campaign_schedule(campaign=campaign)
    campaign_cancel(campaign=campaign)
    with pytest.raises(CampaignNotEditable):
        campaign_pause(campaign=campaign)


def test_dry_run_counts_and_samples_and_sends_nothing(audience):
    segment, cars = audience
    campaign = make(segment, definition=DefinitionFactory(face_value_twd=500))
    dry = campaign_dry_run(campaign)
    assert (dry.vehicles, dry.members, dry.without_marketing_consent, dry.will_receive_message) == (
        3,
        3,
        1,
        2,
    )
    assert (dry.vouchers_to_issue, dry.face_value_twd) == (3, 1500)
    texts = {row.plate: row.message for row in dry.sample}
    assert texts[cars[0].plate] == f"王小明 您好，{cars[0].plate} 秋季洗車優惠"
    assert texts[cars[1].plate].startswith("Hello Alice")
    assert "****" in dry.sample[0].recipient or "*" in dry.sample[0].recipient  # phones masked
    assert not Notification.objects.exists() and not Voucher.objects.exists()
    assert not CampaignRecipient.objects.exists()


def test_dry_run_shows_the_budget_limit(audience):
    campaign = make(audience[0], definition=DefinitionFactory(face_value_twd=500), budget_twd=1000)
    assert campaign_dry_run(campaign).budget_limited_to == 2


def test_a_scheduled_campaign_runs_once_messages_and_vouchers(audience, no_quiet_hours):
    segment, _cars = audience
    definition = DefinitionFactory(face_value_twd=300)
    campaign = make(segment, definition=definition)
    campaign_schedule(campaign=campaign)
    assert run() == (3, None)
    assert run() == (0, None)  # a second run: nothing more
    campaign.refresh_from_db()
    assert (campaign.status, campaign.audience_size, campaign.spent_twd) == (
        Campaign.Status.COMPLETED,
        3,
        900,
    )
    assert Voucher.objects.filter(definition=definition, source="campaign").count() == 3
    notes = Notification.objects.filter(campaign=campaign)
    assert sorted(notes.values_list("status", flat=True)) == ["pending", "pending", "skipped"]
    assert all("/notifications/opt-out/" in n.body for n in notes.filter(status="pending"))


def test_a_future_or_paused_campaign_waits(audience):
    campaign = make(audience[0])
    campaign_schedule(campaign=campaign, scheduled_at=timezone.now() + timedelta(hours=1))
    assert run() == (0, None)
    assert run(timezone.now() + timedelta(hours=2))[0] == 3


def test_budget_stops_issuing_and_says_why(audience):
    definition = DefinitionFactory(face_value_twd=500)
    campaign = make(audience[0], definition=definition, budget_twd=1000, send_message=False)
    campaign_schedule(campaign=campaign)
    run()
    campaign.refresh_from_db()
    assert campaign.spent_twd == 1000
    assert Voucher.objects.count() == 2
    skipped = CampaignRecipient.objects.get(status="skipped")
    assert skipped.reason == "budget exhausted"


def test_stock_exhausted_is_a_skip_not_a_crash(audience):
    definition = DefinitionFactory(stock_total=1)
    campaign = make(audience[0], definition=definition, send_message=False)
    campaign_schedule(campaign=campaign)
    run()
    assert Voucher.objects.count() == 1
    assert CampaignRecipient.objects.filter(status="skipped").count() == 2


def test_max_recipients_limits_the_frozen_audience(audience):
    campaign = make(audience[0], max_recipients=2)
    campaign_schedule(campaign=campaign)
    run()
    assert CampaignRecipient.objects.filter(campaign=campaign).count() == 2


def test_results_count_sent_failed_issued_and_redeemed_within_30_days(
    audience, http_channels, no_quiet_hours
):
    segment, cars = audience
    definition = DefinitionFactory(validity_days=90)
    campaign = make(segment, definition=definition)
    campaign_schedule(campaign=campaign)
    http_channels.answers = [400]  # the first message fails for good
    run()
    for notification in Notification.objects.filter(campaign=campaign, status="pending").order_by("pk"):
        notification_deliver(notification_id=notification.pk)
    sent = Notification.objects.get(campaign=campaign, status="sent")
    dealer = DealerFactory()
    redeemed_in_time = Voucher.objects.get(
        definition=definition, vehicle=sent.member.ownerships.get().vehicle
    )
    redemption_redeem(
        voucher=redeemed_in_time,
        vehicle=redeemed_in_time.vehicle,
        dealer=dealer,
        idempotency_key="a",
        now=sent.sent_at + timedelta(days=10),
    )
    late = Voucher.objects.get(definition=definition, vehicle=cars[2])
    recipient = CampaignRecipient.objects.get(vehicle=cars[2])
    redemption_redeem(
        voucher=late,
        vehicle=late.vehicle,
        dealer=dealer,
        idempotency_key="b",
        now=recipient.processed_at + timedelta(days=31),
    )
    # Workshop visits without a voucher count as coming back (a KPI of visits, not only redemptions).
    failed = Notification.objects.get(campaign=campaign, status="failed")
    visited_car = failed.member.ownerships.get().vehicle
    visited_in_time = CampaignRecipient.objects.get(vehicle=visited_car).processed_at + timedelta(days=5)
    for car, day, number in (
        (visited_car, timezone.localdate(visited_in_time), "RO-IN"),
        (cars[2], timezone.localdate(recipient.processed_at + timedelta(days=40)), "RO-LATE"),
    ):
        visit_record(
            vehicle=car,
            dealer=dealer,
            visited_on=day,
            repair_order=number,
            origin=Origin(source=Visit.Source.IMPORT, label="dms.csv"),
            now=max(timezone.now(), recipient.processed_at + timedelta(days=41)),
        )
    results = campaign_results(campaign)
    assert (results.messages_sent, results.messages_failed, results.messages_skipped) == (1, 1, 1)
    assert results.vouchers_issued == 3
    assert results.vouchers_redeemed_30d == 1
    assert results.recipients_redeemed_30d == 1
    assert results.recipients_returned_30d == 2  # the redemption in time and the visit in time
