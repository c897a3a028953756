"""The campaign send in batches: budget and stock running out inside and across batches, a worker
dying mid-batch and the run resumed, consent, the weekly cap and quiet hours, owners of two cars,
and a number of statements that does not grow with the batch."""

from datetime import datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import campaigns.services.campaign_send as campaign_send
from campaigns.models import Campaign, CampaignRecipient, CampaignVoucher, Notification, Segment
from campaigns.services import campaign_schedule, campaigns_run_due
from campaigns.services.policy import NO_MARKETING_CONSENT, WEEKLY_CAP
from tests.factories import DefinitionFactory, MemberFactory, OwnedVehicleFactory
from vouchers.exceptions import StockExhausted
from vouchers.models import LedgerEntry, Voucher, VoucherDefinition

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch_of(monkeypatch):
    def set_size(size: int) -> None:
        monkeypatch.setattr(campaign_send, "SERVE_BATCH", size)

    return set_size


def owners(n: int, **member_fields) -> list:
    """n cars, each with its own owner (marketing consent unless told otherwise)."""
    member_fields.setdefault("consent_marketing", True)
    return [OwnedVehicleFactory(owner=MemberFactory(**member_fields)) for _ in range(n)]


def scheduled(definition=None, **fields) -> Campaign:
    campaign = Campaign.objects.create(
        **{
            "name": "秋季洗車",
            "segment": Segment.objects.create(name="everyone"),
            "definition": definition,
            "message_zh_hant": "{{ name }} 您好，{{ plate }} 秋季洗車優惠",
            **fields,
        }
    )
    campaign_schedule(campaign=campaign)
    return campaign


def statuses(campaign) -> list[tuple[str, str]]:
    return list(
        CampaignRecipient.objects.filter(campaign=campaign).order_by("pk").values_list("status", "reason")
    )


def test_budget_running_out_inside_a_batch_skips_the_rest_and_is_spent_exactly(batch_of, no_quiet_hours):
    batch_of(3)
    owners(5)
    definition = DefinitionFactory(face_value_twd=400, series_count=1)
    campaign = scheduled(definition, budget_twd=1000)  # two vouchers' worth, and 200 over
    assert campaigns_run_due(now=timezone.now()) == (5, None)
    campaign.refresh_from_db()
    assert campaign.spent_twd == 800 and campaign.status == Campaign.Status.COMPLETED
    assert statuses(campaign) == [("done", "")] * 2 + [("skipped", "budget exhausted")] * 3
    assert Voucher.objects.filter(definition=definition).count() == 2
    # No voucher, no message: a skipped recipient is not told about an offer it did not get.
    assert Notification.objects.filter(campaign=campaign).count() == 2


def test_budget_running_out_in_a_later_batch(batch_of, no_quiet_hours):
    batch_of(2)
    owners(7)
    definition = DefinitionFactory(face_value_twd=100)
    campaign = scheduled(definition, budget_twd=500)
    campaigns_run_due(now=timezone.now())
    campaign.refresh_from_db()
    assert campaign.spent_twd == 500
    assert [s for s, _r in statuses(campaign)] == ["done"] * 5 + ["skipped"] * 2


def test_stock_running_out_mid_batch_is_a_skip_with_its_reason(batch_of, no_quiet_hours):
    batch_of(3)
    owners(5)
    definition = DefinitionFactory(stock_total=4)
    campaign = scheduled(definition, send_message=False)
    campaigns_run_due(now=timezone.now())
    definition.refresh_from_db()
    assert (definition.stock_issued, definition.stock_left) == (4, 0)
    assert statuses(campaign)[-1] == ("skipped", str(StockExhausted().message))
    assert [s for s, _r in statuses(campaign)] == ["done"] * 4 + ["skipped"]
    assert Voucher.objects.filter(definition=definition).count() == 4


def test_a_series_is_issued_and_counted_per_unit(batch_of):
    batch_of(2)
    owners(3)
    definition = DefinitionFactory(
        validity_policy=VoucherDefinition.ValidityPolicy.DELIVERY_WINDOW,
        validity_days=None,
        delivery_offset_months=0,
        delivery_window_months=12,
        series_count=3,
        series_step_months=12,
        face_value_twd=100,
        stock_total=2,
    )
    campaign = scheduled(definition, send_message=False, budget_twd=10_000)
    campaigns_run_due(now=timezone.now())
    definition.refresh_from_db()
    campaign.refresh_from_db()
    assert definition.stock_issued == 2 and campaign.spent_twd == 600  # a unit is a series of 3
    issued = CampaignVoucher.objects.filter(campaign=campaign)
    assert sorted(issued.values_list("series_index", flat=True)) == [0, 0, 1, 1, 2, 2]
    assert all(link.voucher.series_index == link.series_index for link in issued)


def test_a_car_without_a_delivery_date_is_skipped_for_a_delivery_window(no_quiet_hours):
    cars = owners(2)
    type(cars[1]).objects.filter(pk=cars[1].pk).update(delivery_date=None)
    definition = DefinitionFactory(
        validity_policy=VoucherDefinition.ValidityPolicy.DELIVERY_WINDOW,
        validity_days=None,
        delivery_offset_months=0,
        delivery_window_months=12,
    )
    campaign = scheduled(definition)
    campaigns_run_due(now=timezone.now())
    assert [s for s, _r in statuses(campaign)] == ["done", "skipped"]
    assert "delivery date" in statuses(campaign)[1][1]
    assert Notification.objects.filter(campaign=campaign).count() == 1


class Crash(Exception):
    pass


def test_a_worker_dying_mid_batch_leaves_nothing_and_the_rerun_serves_each_once(batch_of, monkeypatch):
    batch_of(2)
    owners(5)
    definition = DefinitionFactory(face_value_twd=100, stock_total=100)
    campaign = scheduled(definition, budget_twd=10_000)
    real_settle = campaign_send._settle
    calls = []

    def dying_settle(recipients, now):
        calls.append(len(recipients))
        if len(calls) == 2:  # the second batch dies after its vouchers and messages were written
            raise Crash()
        return real_settle(recipients, now)

    monkeypatch.setattr(campaign_send, "_settle", dying_settle)
    with pytest.raises(Crash):
        campaigns_run_due(now=timezone.now())
    campaign.refresh_from_db()
    definition.refresh_from_db()
    # The first batch committed; nothing of the second did.
    assert [s for s, _r in statuses(campaign)] == ["done", "done", "pending", "pending", "pending"]
    assert (campaign.spent_twd, definition.stock_issued) == (200, 2)
    assert Voucher.objects.filter(definition=definition).count() == 2
    assert Notification.objects.filter(campaign=campaign).count() == 2

    monkeypatch.setattr(campaign_send, "_settle", real_settle)
    campaigns_run_due(now=timezone.now())
    campaigns_run_due(now=timezone.now())  # and again: nothing more
    campaign.refresh_from_db()
    definition.refresh_from_db()
    assert campaign.status == Campaign.Status.COMPLETED
    assert (campaign.spent_twd, definition.stock_issued) == (500, 5)
    vouchers = Voucher.objects.filter(definition=definition)
    assert vouchers.count() == 5 and vouchers.values("vehicle").distinct().count() == 5
    assert LedgerEntry.objects.filter(voucher__definition=definition, kind="issued").count() == 5
    assert Notification.objects.filter(campaign=campaign).count() == 5


def test_the_database_refuses_a_second_series_for_a_recipient():
    owners(1)
    definition = DefinitionFactory()
    campaign = scheduled(definition, send_message=False)
    campaigns_run_due(now=timezone.now())
    link = CampaignVoucher.objects.get(campaign=campaign)
    other = Voucher.objects.create(
        code="X" * 16,
        definition=definition,
        vehicle=link.recipient.vehicle,
        status="active",
        uses_total=1,
        uses_left=1,
        source="campaign",
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        CampaignVoucher.objects.create(campaign=campaign, recipient=link.recipient, voucher=other)


def test_consent_erasure_and_the_weekly_cap_decide_each_message(settings, no_quiet_hours):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 1
    willing, unwilling = owners(1), owners(1, consent_marketing=False)
    erased = owners(1, consent_marketing=False, phone="", erased_at=timezone.now(), email="")
    capped = owners(1)
    capped_owner = capped[0].ownerships.get().member
    Notification.objects.create(
        member=capped_owner,
        channel="sms",
        recipient=capped_owner.phone,
        purpose="campaign",
        body="an earlier offer",
        promotional=True,
        dedup_key="earlier",
    )
    definition = DefinitionFactory()
    campaign = scheduled(definition)
    campaigns_run_due(now=timezone.now())
    # Everyone gets the voucher; the message follows consent and the cap.
    assert Voucher.objects.filter(definition=definition).count() == 4
    by_car = {
        r.vehicle_id: r.notification
        for r in CampaignRecipient.objects.filter(campaign=campaign).select_related("notification")
    }
    assert by_car[willing[0].pk].status == "pending"
    assert "/notifications/opt-out/" in by_car[willing[0].pk].body
    assert by_car[unwilling[0].pk].skip_reason == str(NO_MARKETING_CONSENT)
    assert by_car[erased[0].pk].status == "skipped"
    assert by_car[capped[0].pk].skip_reason == str(WEEKLY_CAP)


def test_quiet_hours_defer_the_messages_and_the_dispatcher_sends_them_later(settings):
    settings.NOTIFY_QUIET_HOURS = "21:00-09:00"
    owners(2)
    campaign = scheduled()
    night = timezone.make_aware(datetime(2030, 1, 1, 23, 0), timezone.get_default_timezone())
    campaigns_run_due(now=night)
    morning = timezone.make_aware(datetime(2030, 1, 2, 9, 0), timezone.get_default_timezone())
    notes = Notification.objects.filter(campaign=campaign)
    assert [(n.status, n.not_before, n.lease_until) for n in notes] == [("pending", morning, None)] * 2


def test_a_message_without_quiet_hours_is_due_for_the_dispatcher_at_once(no_quiet_hours):
    from campaigns.services import notifications_dispatch

    owners(2)
    campaign = scheduled()
    now = timezone.now()
    campaigns_run_due(now=now)
    assert notifications_dispatch(now=now + timedelta(seconds=1)) == 2
    assert Notification.objects.filter(campaign=campaign, lease_until__isnull=False).count() == 2


def test_an_owner_of_two_cars_gets_one_message_naming_the_first(batch_of, no_quiet_hours):
    batch_of(1)  # the two cars in different batches
    member = MemberFactory(consent_marketing=True)
    first, second = OwnedVehicleFactory(owner=member), OwnedVehicleFactory(owner=member)
    definition = DefinitionFactory()
    campaign = scheduled(definition)
    campaigns_run_due(now=timezone.now())
    note = Notification.objects.get(campaign=campaign)
    assert first.plate in note.body and second.plate not in note.body
    recipients = CampaignRecipient.objects.filter(campaign=campaign)
    assert set(recipients.values_list("notification", flat=True)) == {note.pk}
    assert Voucher.objects.filter(definition=definition).count() == 2


def test_english_speakers_get_the_english_text(no_quiet_hours):
    owners(1, language="en", name="Alice")
    campaign = scheduled(message_en="Hello {{ name }}, a wash for {{ plate }}", subject_en="Autumn")
    campaigns_run_due(now=timezone.now())
    note = Notification.objects.get(campaign=campaign)
    assert note.body.startswith("Hello Alice, a wash for ") and note.language == "en"


def test_a_paused_campaign_is_not_served_by_a_batch(batch_of):
    from campaigns.services import campaign_pause

    batch_of(2)
    owners(3)
    campaign = scheduled(DefinitionFactory())
    campaigns_run_due(now=timezone.now(), deadline=0)  # one batch, then out of time
    campaign_pause(campaign=campaign)
    campaigns_run_due(now=timezone.now())
    assert [s for s, _r in statuses(campaign)] == ["done", "done", "pending"]


def test_statements_do_not_grow_with_the_batch(batch_of, no_quiet_hours):
    def statements_for(n: int) -> int:
        Campaign.objects.all().delete()
        owners(n)
        campaign = scheduled(DefinitionFactory(stock_total=1000), budget_twd=100_000)
        batch_of(1000)
        with CaptureQueriesContext(connection) as queries:
            campaigns_run_due(now=timezone.now())
        assert CampaignRecipient.objects.filter(campaign=campaign, status="done").count() > 0
        return len(queries)

    small, large = statements_for(2), statements_for(12)
    assert small == large
    assert large <= 40
