"""Concurrency on PostgreSQL: threads started together by a barrier, each with its own connection."""

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Notification, Segment
from campaigns.services import (
    Draft,
    campaign_schedule,
    campaigns_run_due,
    member_notify,
    notification_deliver,
    notifications_bulk_queue,
)
from tests.concurrency import together
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory
from vouchers.models import Voucher

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_deliveries_of_one_message_call_the_provider_once(http_channels, no_quiet_hours):
    http_channels.delay = 0.2  # the first sender is still waiting for the provider when the others look
    member = MemberFactory()
    notification, _ = member_notify(
        Draft(member=member, purpose="service_reminder", template_key="service_reminder", dedup_key="race-1")
    )
    together(6, lambda i: notification_deliver(notification_id=notification.pk).status)
    notification.refresh_from_db()
    assert notification.status == "sent" and notification.attempts == 1
    assert len(http_channels.requests) == 1


def test_weekly_cap_holds_under_concurrent_promotional_messages(settings, no_quiet_hours):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 2
    member = MemberFactory(consent_marketing=True)
    together(
        6,
        lambda i: member_notify(
            Draft(
                member=member,
                purpose="campaign",
                template_key="birthday",
                dedup_key=f"promo-{i}",
                promotional=True,
            )
        ),
    )
    statuses = sorted(Notification.objects.values_list("status", flat=True))
    assert statuses == ["pending", "pending", "skipped", "skipped", "skipped", "skipped"]


def test_weekly_cap_holds_when_batches_and_single_messages_race(settings, no_quiet_hours):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 3
    members = [MemberFactory(consent_marketing=True) for _ in range(4)]

    def draft(member, key):
        return Draft(
            member=member, purpose="campaign", template_key="birthday", dedup_key=key, promotional=True
        )

    def work(i):
        if i % 2:  # a campaign batch: every member, members in a different order per thread
            ordered = members[::-1] if i % 4 == 1 else members
            return notifications_bulk_queue([draft(m, f"batch-{i}-{m.pk}") for m in ordered])
        return member_notify(draft(members[0], f"single-{i}"))

    together(8, work)
    for member in members:
        pending = Notification.objects.filter(member=member, status="pending").count()
        offered = Notification.objects.filter(member=member).count()
        assert pending == 3, (member.pk, pending, offered)


def test_two_runs_of_a_campaign_at_once_serve_each_vehicle_once(no_quiet_hours):
    for _ in range(8):
        OwnedVehicleFactory(owner=MemberFactory(consent_marketing=True))
    definition = DefinitionFactory(face_value_twd=100)
    campaign = Campaign.objects.create(
        name="race",
        segment=Segment.objects.create(name="all"),
        definition=definition,
        message_zh_hant="{{ name }}",
    )
    campaign_schedule(campaign=campaign)
    together(3, lambda i: campaigns_run_due(now=timezone.now()))
    assert Voucher.objects.filter(definition=definition).count() == 8
    assert Notification.objects.filter(campaign=campaign).count() == 8
    assert CampaignRecipient.objects.filter(campaign=campaign, status="done").count() == 8
    campaign.refresh_from_db()
    assert (campaign.status, campaign.spent_twd) == ("completed", 800)


def test_budget_and_stock_stay_exact_when_batches_race_each_other_and_claims(no_quiet_hours, monkeypatch):
    import campaigns.services.campaign_send as campaign_send
    from vouchers.services import voucher_claim

    monkeypatch.setattr(campaign_send, "SERVE_BATCH", 3)
    cars = [OwnedVehicleFactory(owner=MemberFactory(consent_marketing=True)) for _ in range(10)]
    definition = DefinitionFactory(face_value_twd=100, stock_total=8)
    campaign = Campaign.objects.create(
        name="race",
        segment=Segment.objects.create(name="all"),
        definition=definition,
        budget_twd=600,
        message_zh_hant="{{ name }}",
    )
    campaign_schedule(campaign=campaign)

    def work(i):
        if i < 3:
            return campaigns_run_due(now=timezone.now())
        car = cars[i]  # an owner claims one for their car meanwhile (the same stock)
        member = car.ownerships.get().member
        return voucher_claim(definition=definition, member=member, vehicle=car, idempotency_key=f"claim-{i}")

    together(5, work)
    definition.refresh_from_db()
    campaign.refresh_from_db()
    from_campaign = Voucher.objects.filter(definition=definition, source="campaign").count()
    claimed = Voucher.objects.filter(definition=definition, source="claim").count()
    # Stock (8) covers the budget's 6 and both claims whatever the order: all of them, exactly.
    assert (from_campaign, claimed, definition.stock_issued) == (6, 2, 8)
    assert campaign.spent_twd == 600
    assert CampaignRecipient.objects.filter(campaign=campaign, status="pending").count() == 0
    issued_to = CampaignRecipient.objects.filter(campaign=campaign, status="done")
    assert issued_to.count() == from_campaign == Notification.objects.filter(campaign=campaign).count()
