"""Consent, quiet hours, weekly cap, addresses and the rendered text of member messages."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from campaigns.models import Notification
from campaigns.services import Draft, member_notify, notifications_bulk_queue
from campaigns.services.policy import member_address, quiet_hours_end
from tests.factories import MemberFactory

TPE = ZoneInfo("Asia/Taipei")
pytestmark = pytest.mark.django_db
Purpose = Notification.Purpose
Status = Notification.Status


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ((20, 59), None),
        ((21, 0), datetime(2026, 6, 2, 9, 0, tzinfo=TPE)),
        ((23, 30), datetime(2026, 6, 2, 9, 0, tzinfo=TPE)),
        ((3, 0), datetime(2026, 6, 1, 9, 0, tzinfo=TPE)),
        ((9, 0), None),
    ],
)
def test_quiet_hours_over_midnight(settings, clock, expected):
    settings.NOTIFY_QUIET_HOURS = "21:00-09:00"
    assert quiet_hours_end(datetime(2026, 6, 1, *clock, tzinfo=TPE)) == expected


def test_quiet_hours_same_day_window_and_off(settings):
    settings.NOTIFY_QUIET_HOURS = "12:00-14:00"
    assert quiet_hours_end(datetime(2026, 6, 1, 13, 0, tzinfo=TPE)) == datetime(2026, 6, 1, 14, 0, tzinfo=TPE)
    assert quiet_hours_end(datetime(2026, 6, 1, 15, 0, tzinfo=TPE)) is None
    settings.NOTIFY_QUIET_HOURS = ""
    assert quiet_hours_end(datetime(2026, 6, 1, 23, 0, tzinfo=TPE)) is None


def test_the_longest_e_mail_address_a_member_may_have_fits_the_outbox():
    """Member e-mails may have 254 characters; one that did not fit the outbox's column made the
    whole nightly batch (1,000 messages) fail on PostgreSQL, night after night."""
    email = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".tw"
    assert len(email) == 254
    member = MemberFactory(preferred_channel="email", email=email)
    others = [MemberFactory() for _ in range(2)]
    drafts = [
        Draft(member=m, purpose=Purpose.UNUSED_VALUE, template_key="unused_value", dedup_key=f"long:{m.pk}")
        for m in [*others, member]
    ]

    assert notifications_bulk_queue(drafts) == 3

    assert Notification.objects.get(member=member).recipient == email


def test_address_prefers_the_members_channel_and_falls_back_to_sms():
    member = MemberFactory.build(phone="+886912000001", preferred_channel="line", line_user_id="U1")
    assert member_address(member) == ("line", "U1")
    member.line_user_id = ""
    assert member_address(member) == ("sms", "+886912000001")
    member.preferred_channel, member.email = "email", "a@example.com"
    assert member_address(member) == ("email", "a@example.com")
    assert member_address(member, "sms") == ("sms", "+886912000001")


def draft(member, key="d1", promotional=False, purpose=Purpose.SERVICE_REMINDER, template="service_reminder"):
    return Draft(
        member=member,
        purpose=purpose,
        template_key=template,
        dedup_key=key,
        promotional=promotional,
        context={
            "plate": "ABC-1234",
            "model": "X3",
            "due_on": "2026/07/01",
            "overdue_days": 0,
            "due_km": 30000,
        },
    )


def test_service_message_needs_service_consent(no_quiet_hours):
    member = MemberFactory(consent_service=False)
    notification, created = member_notify(draft(member))
    assert created and notification.status == Status.SKIPPED
    assert "service" in notification.skip_reason


def test_promotional_needs_marketing_consent_and_carries_an_opt_out_link(no_quiet_hours):
    refuses = MemberFactory(consent_marketing=False)
    assert member_notify(draft(refuses, promotional=True))[0].status == Status.SKIPPED
    agrees = MemberFactory(consent_marketing=True)
    notification, _ = member_notify(draft(agrees, key="d2", promotional=True))
    assert notification.status == Status.PENDING
    assert "/notifications/opt-out/" in notification.body


def test_rendered_in_the_members_language(no_quiet_hours):
    zh = member_notify(draft(MemberFactory(name="王小明"), key="zh"))[0]
    en = member_notify(draft(MemberFactory(name="Alice", language="en"), key="en"))[0]
    assert "王小明 您好" in zh.body and "ABC-1234" in zh.body
    assert en.body.startswith("Hello Alice") and en.language == "en"
    assert en.subject == "Service reminder"


def test_weekly_cap_on_promotional_messages(settings, no_quiet_hours):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 2
    member = MemberFactory(consent_marketing=True)
    statuses = [member_notify(draft(member, key=f"p{i}", promotional=True))[0].status for i in range(3)]
    assert statuses == [Status.PENDING, Status.PENDING, Status.SKIPPED]
    # service reminders are not capped
    assert member_notify(draft(member, key="s1"))[0].status == Status.PENDING


def test_weekly_cap_in_bulk_counts_the_batch_itself(settings, no_quiet_hours):
    settings.NOTIFY_PROMOTIONAL_WEEKLY_CAP = 1
    member = MemberFactory(consent_marketing=True)
    notifications_bulk_queue(
        [draft(member, key="b1", promotional=True), draft(member, key="b2", promotional=True)]
    )
    assert sorted(Notification.objects.values_list("status", flat=True)) == [Status.PENDING, Status.SKIPPED]


def test_quiet_hours_defer_new_messages_but_not_sign_in_codes(settings):
    settings.NOTIFY_QUIET_HOURS = "00:00-23:59"
    member = MemberFactory()
    notification, _ = member_notify(draft(member))
    assert notification.not_before > timezone.now()


def test_bulk_queue_skips_existing_keys(no_quiet_hours):
    member = MemberFactory()
    assert notifications_bulk_queue([draft(member, key="x")]) == 1
    assert notifications_bulk_queue([draft(member, key="x"), draft(member, key="y")]) == 1
    assert Notification.objects.count() == 2
