"""Offers inside reminders: per rule, issued once per reminder occurrence, linked in the message."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Notification, OfferMode, ReminderOffer, ReminderOfferGrant
from campaigns.services.inspections import inspection_reminders
from campaigns.services.notify import Draft
from campaigns.services.offers import OfferTarget, reminder_offers_attach
from campaigns.services.reminders import expiry_reminders, service_reminders
from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vouchers.models import Voucher, VoucherDefinition

TPE = ZoneInfo("Asia/Taipei")
pytestmark = pytest.mark.django_db
NIGHT = datetime(2025, 12, 25, 2, 0, tzinfo=TPE)  # a car delivered 1 Jan 2025 is due 1 Jan 2026: -7 stage


def _due_car(**kwargs):
    return OwnedVehicleFactory(delivery_date=date(2025, 1, 1), **kwargs)


def _rule(definition, *, reminder=ReminderOffer.Reminder.SERVICE, mode=OfferMode.ISSUE, **kwargs):
    return ReminderOffer.objects.create(
        name="保養提醒附贈洗車券", reminder=reminder, mode=mode, definition=definition, **kwargs
    )


def _offer_vouchers(definition) -> list[Voucher]:
    return list(Voucher.objects.filter(definition=definition))


def test_service_reminder_issues_the_rule_s_voucher_and_links_it():
    wash = DefinitionFactory(name="保養洗車禮")
    car = _due_car()
    _rule(wash)
    service_reminders(now=NIGHT)
    [voucher] = _offer_vouchers(wash)
    assert voucher.vehicle == car and voucher.source == Voucher.Source.MANUAL
    notification = Notification.objects.get(purpose="service_reminder")
    assert f"/portal/vouchers/{voucher.pk}/" in notification.body
    assert "保養洗車禮" in notification.body
    grant = ReminderOfferGrant.objects.get()
    assert (
        grant.occurrence == notification.dedup_key and grant.voucher == voucher and grant.status == "issued"
    )


def test_a_second_run_issues_nothing_and_reads_what_it_read_without_offers():
    wash = DefinitionFactory()
    for _ in range(3):
        _due_car()
    _rule(wash)
    service_reminders(now=NIGHT)
    assert len(_offer_vouchers(wash)) == 3
    with CaptureQueriesContext(connection) as with_offers:
        assert service_reminders(now=NIGHT + timedelta(hours=1))[0] == 0
    ReminderOffer.objects.update(is_active=False)
    with CaptureQueriesContext(connection) as without_offers:
        service_reminders(now=NIGHT + timedelta(hours=2))
    # Nothing is left to remind of: no rule, grant or voucher is read, however many cars.
    assert len(with_offers) == len(without_offers)
    assert len(_offer_vouchers(wash)) == 3 and ReminderOfferGrant.objects.count() == 3


def test_the_rule_for_the_car_s_model_wins_over_the_general_one():
    suv = VehicleModelFactory(name="X5")
    general, special = DefinitionFactory(name="一般洗車"), DefinitionFactory(name="休旅車洗車")
    _rule(general)
    _rule(special, vehicle_model=suv)
    sedan_car, suv_car = _due_car(), _due_car(model=suv)
    service_reminders(now=NIGHT)
    assert [v.vehicle for v in _offer_vouchers(general)] == [sedan_car]
    assert [v.vehicle for v in _offer_vouchers(special)] == [suv_car]


def test_claim_mode_links_the_claim_centre_item_and_issues_nothing():
    offer = DefinitionFactory(name="輪胎檢查")
    _due_car()
    _rule(offer, mode=OfferMode.CLAIM)
    service_reminders(now=NIGHT)
    assert _offer_vouchers(offer) == []
    body = Notification.objects.get().body
    assert f"/portal/claim/#offer-{offer.pk}" in body
    assert ReminderOfferGrant.objects.get().status == "linked"


def test_no_stock_left_the_reminder_goes_without_an_offer_and_the_refusal_is_kept():
    offer = DefinitionFactory(stock_total=1)
    first, second = _due_car(), _due_car()
    _rule(offer)
    service_reminders(now=NIGHT)
    assert [v.vehicle for v in _offer_vouchers(offer)] == [first]
    refused = ReminderOfferGrant.objects.get(vehicle=second)
    assert refused.status == "refused" and refused.reason
    second_body = Notification.objects.get(dedup_key=refused.occurrence).body
    assert "/portal/vouchers/" not in second_body


def test_no_consent_no_voucher():
    offer = DefinitionFactory()
    _due_car(owner=MemberFactory(consent_service=False))
    _rule(offer)
    service_reminders(now=NIGHT)
    assert Notification.objects.get().status == "skipped"
    assert _offer_vouchers(offer) == [] and not ReminderOfferGrant.objects.exists()


def test_inactive_rule_and_definition_closed_to_the_back_office():
    closed = DefinitionFactory(channel_manual=False)
    inactive = DefinitionFactory()
    _rule(inactive, is_active=False)
    _due_car()
    service_reminders(now=NIGHT)
    assert "/portal/" in Notification.objects.get().body and not ReminderOfferGrant.objects.exists()
    Notification.objects.all().delete()
    _rule(closed)
    service_reminders(now=NIGHT)
    grant = ReminderOfferGrant.objects.get()
    assert grant.status == "refused" and _offer_vouchers(closed) == []


def test_a_grant_made_before_a_crash_is_linked_when_the_message_is_written():
    offer = DefinitionFactory()
    car = _due_car()
    _rule(offer)
    # The grant was made, the batch's messages were not written (the process died in between).
    draft = Draft(
        member=car.ownerships.get().member,
        purpose="service_reminder",
        template_key="service_reminder",
        dedup_key=f"service:{car.pk}:2025-01-01:-7",
    )
    assert (
        reminder_offers_attach(
            reminder="service_reminder",
            targets=[OfferTarget(draft, vehicle_id=car.pk, model_id=car.model_id)],
            now=NIGHT,
        )
        == 1
    )
    service_reminders(now=NIGHT)
    [voucher] = _offer_vouchers(offer)
    assert f"/portal/vouchers/{voucher.pk}/" in Notification.objects.get().body


def test_expiry_reminder_offers_a_member_voucher():
    member = MemberFactory()
    expiring = DefinitionFactory(validity_days=10, reminder_days="7")
    voucher = issue_voucher(expiring, vehicle=OwnedVehicleFactory(owner=member), now=NIGHT)
    gift = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, name="續用禮")
    _rule(gift, reminder=ReminderOffer.Reminder.EXPIRY)
    until = voucher.valid_until.astimezone(TPE).date()
    expiry_reminders(now=datetime(until.year, until.month, until.day, 2, tzinfo=TPE) - timedelta(days=7))
    [offered] = _offer_vouchers(gift)
    assert offered.member == member
    assert f"/portal/vouchers/{offered.pk}/" in Notification.objects.get(purpose="expiry_reminder").body


def test_inspection_reminder_carries_a_claim_link():
    offer = DefinitionFactory()
    _rule(offer, reminder=ReminderOffer.Reminder.INSPECTION, mode=OfferMode.CLAIM)
    OwnedVehicleFactory(delivery_date=date(2021, 1, 20))  # first inspection due January 2026
    inspection_reminders(now=NIGHT)
    assert f"#offer-{offer.pk}" in Notification.objects.get(purpose="inspection_reminder").body


def test_english_owner_reads_the_offer_line_in_english():
    offer = DefinitionFactory(name="Wash")
    _due_car(owner=MemberFactory(language="en"))
    _rule(offer)
    service_reminders(now=NIGHT)
    assert "Your offer “Wash”" in Notification.objects.get().body


def test_programme_message_carries_its_offer_within_the_weekly_cap(settings):
    from campaigns.services.programmes import birthdays

    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 1
    gift = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER, name="生日加碼")
    _rule(gift, reminder=ReminderOffer.Reminder.BIRTHDAY)
    greeted = MemberFactory(birthday=date(1980, 3, 10), consent_marketing=True)
    capped = MemberFactory(birthday=date(1981, 3, 10), consent_marketing=True)
    Notification.objects.create(
        member=capped,
        channel="sms",
        recipient=capped.phone,
        purpose="campaign",
        body="已發送",
        promotional=True,
        dedup_key="earlier-promo",
        created_at=datetime(2026, 3, 8, 12, tzinfo=TPE),
    )
    birthdays(now=datetime(2026, 3, 10, 2, tzinfo=TPE))
    [voucher] = _offer_vouchers(gift)
    assert voucher.member == greeted
    assert f"/portal/vouchers/{voucher.pk}/" in Notification.objects.get(member=greeted).body
    assert Notification.objects.get(member=capped, purpose="lifecycle").status == "skipped"


def test_new_car_care_offer_once_per_care_message(settings):
    from campaigns.services.programmes import new_car_care

    offer = DefinitionFactory(name="新車關懷洗車")
    _rule(offer, reminder=ReminderOffer.Reminder.NEW_CAR_CARE, mode=OfferMode.CLAIM)
    OwnedVehicleFactory(owner=MemberFactory(consent_marketing=True), delivery_date=date(2026, 2, 8))
    night = datetime(2026, 3, 10, 2, tzinfo=TPE)  # 30 days after delivery
    new_car_care(now=night)
    new_car_care(now=night + timedelta(days=1))  # still in the catch-up window: nothing new
    assert ReminderOfferGrant.objects.count() == 1
    assert f"#offer-{offer.pk}" in Notification.objects.get().body
