"""The outbox: written once per key, sent once, retried with back-off, claims that run out."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_q.models import OrmQ

from campaigns.exceptions import NotificationNotRetryable, SignInCodeNotRetryable
from campaigns.models import Notification
from campaigns.services import (
    notification_deliver,
    notification_queue,
    notification_retry,
    notifications_dispatch,
)

TPE = ZoneInfo("Asia/Taipei")
NOON = datetime(2026, 6, 1, 12, 0, tzinfo=TPE)
pytestmark = pytest.mark.django_db
Status = Notification.Status


def queue(member=None, key="k1", **kwargs):
    defaults = dict(
        channel="sms",
        recipient="+886912345678",
        purpose=Notification.Purpose.SERVICE_REMINDER,
        body="保養提醒",
        dedup_key=key,
        member=member,
    )
    return notification_queue(**{**defaults, **kwargs})


def sign_in_sms(member, key: str, body: str):
    return queue(member, key, recipient=member.phone, purpose=Notification.Purpose.LOGIN_CODE, body=body)


def test_queue_writes_once_per_key_and_enqueues_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first, created = queue()
        again, created_again = queue(body="different")
    assert created and not created_again
    assert again.pk == first.pk and again.body == "保養提醒"
    assert Notification.objects.count() == 1
    assert len(callbacks) == 1
    assert OrmQ.objects.count() == 1


def test_login_code_call_of_the_portal_still_works(http_channels, member, settings):
    settings.NOTIFY_QUIET_HOURS = "00:00-23:59"  # always quiet: a sign-in code goes anyway
    member.consent_service = False
    member.save()
    notification, _ = sign_in_sms(member, "login:1", "驗證碼 123456")
    sent = notification_deliver(notification_id=notification.pk)
    assert sent.status == Status.SENT
    assert http_channels.delivered[0]["body"]["text"] == "驗證碼 123456"
    assert sent.body == "驗證碼 ••••••"  # once out, not even the outbox keeps the code


def test_a_sign_in_code_that_finally_fails_is_masked_and_never_sent_again(http_channels, member):
    http_channels.answers = [400]  # permanent: the provider refuses the number
    notification, _ = sign_in_sms(member, "login:2", "Your code 654321")
    failed = notification_deliver(notification_id=notification.pk)
    assert failed.status == Status.FAILED and failed.body == "Your code ••••••"
    with pytest.raises(SignInCodeNotRetryable):
        notification_retry(notification=failed)


def test_a_sign_in_code_keeps_its_body_while_a_retry_is_due(http_channels, member):
    http_channels.answers = [503]
    http_channels.echo = True  # the provider quotes the SMS back in its error
    notification, _ = sign_in_sms(member, "login:3", "Your code 654321")
    row = notification_deliver(notification_id=notification.pk)
    assert row.status == Status.PENDING and row.body == "Your code 654321"
    assert "503" in row.last_error and "••••••" in row.last_error and "654321" not in row.last_error


def test_deliver_sends_once_and_never_again(http_channels, member, no_quiet_hours):
    notification, _ = queue(member)
    first = notification_deliver(notification_id=notification.pk)
    second = notification_deliver(notification_id=notification.pk)
    assert first.status == second.status == Status.SENT
    assert first.attempts == 1 and second.attempts == 1
    assert first.sent_at is not None and first.provider_message_id == "msg-1"
    assert len(http_channels.requests) == 1


def test_transient_failure_backs_off_then_succeeds(http_channels, member, settings, no_quiet_hours):
    settings.NOTIFY_RETRY_BASE_SECONDS = 60
    http_channels.answers = [503, 503]
    notification, _ = queue(member)
    now = timezone.now()
    row = notification_deliver(notification_id=notification.pk, now=now)
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "503" in row.last_error
    assert row.not_before >= now + timedelta(seconds=59)
    # not due yet: nothing is sent
    assert notification_deliver(notification_id=notification.pk, now=now).attempts == 1
    row = notification_deliver(notification_id=notification.pk, now=row.not_before)
    assert (row.status, row.attempts) == (Status.PENDING, 2)
    assert row.not_before >= now + timedelta(seconds=119)  # doubled
    row = notification_deliver(notification_id=notification.pk, now=row.not_before)
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 3, "")


def test_gives_up_after_max_attempts(http_channels, member, settings, no_quiet_hours):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    http_channels.answers = [500, 500, 500]
    notification, _ = queue(member)
    row = notification_deliver(notification_id=notification.pk)
    row = notification_deliver(notification_id=notification.pk, now=row.not_before)
    assert (row.status, row.attempts) == (Status.FAILED, 2)
    assert (
        notification_deliver(notification_id=notification.pk, now=row.not_before + timedelta(days=1)).attempts
        == 2
    )


def test_permanent_failure_is_not_retried(http_channels, member, no_quiet_hours):
    http_channels.answers = [400]
    notification, _ = queue(member)
    row = notification_deliver(notification_id=notification.pk)
    assert (row.status, row.attempts) == (Status.FAILED, 1)


def test_a_claimed_row_is_left_to_its_worker_until_the_lease_runs_out(http_channels, member, no_quiet_hours):
    notification, _ = queue(member)
    now = timezone.now()
    Notification.objects.filter(pk=notification.pk).update(
        status=Status.SENDING, attempts=1, lease_until=now + timedelta(minutes=2)
    )
    assert notification_deliver(notification_id=notification.pk, now=now).status == Status.SENDING
    assert http_channels.requests == []
    # the worker died: after the lease the dispatcher hands it out again and it is sent (same retry key)
    later = now + timedelta(minutes=3)
    assert notifications_dispatch(now=later) == 1
    row = notification_deliver(notification_id=notification.pk, now=later)
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert http_channels.requests[0]["body"]["client_ref"] == str(row.retry_key)


def test_dispatch_hands_out_due_rows_once_per_lease(member, django_capture_on_commit_callbacks):
    now = timezone.now()
    due, _ = queue(member, key="due", not_before=now - timedelta(minutes=1))
    Notification.objects.filter(pk=due.pk).update(lease_until=None)
    queue(member, key="later", not_before=now + timedelta(hours=1))
    queue(member, key="done", status=Status.SKIPPED)
    OrmQ.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_dispatch(now=now) == 1
    assert OrmQ.objects.count() == 1
    assert notifications_dispatch(now=now) == 0  # handed out: not again while the lease runs
    assert notifications_dispatch(now=now + timedelta(hours=2)) == 2  # lease over; `later` now due


def test_consent_withdrawn_before_sending_skips(http_channels, member, no_quiet_hours):
    notification, _ = queue(member)
    member.consent_service = False
    member.save()
    row = notification_deliver(notification_id=notification.pk)
    assert row.status == Status.SKIPPED and row.skip_reason
    assert http_channels.requests == []


def test_quiet_hours_defer_at_send_time(http_channels, member, settings):
    settings.NOTIFY_QUIET_HOURS = "21:00-09:00"
    notification, _ = queue(member, not_before=datetime(2026, 6, 1, 20, 0, tzinfo=TPE))
    row = notification_deliver(notification_id=notification.pk, now=datetime(2026, 6, 1, 22, 30, tzinfo=TPE))
    assert row.status == Status.PENDING
    assert row.not_before == datetime(2026, 6, 2, 9, 0, tzinfo=TPE)
    assert http_channels.requests == []


def test_retry_only_failed_or_skipped(member, django_capture_on_commit_callbacks):
    notification, _ = queue(member, status=Status.SKIPPED, skip_reason="x")
    with django_capture_on_commit_callbacks(execute=True):
        row = notification_retry(notification=notification)
    assert (row.status, row.attempts, row.skip_reason) == (Status.PENDING, 0, "")
    with pytest.raises(NotificationNotRetryable):
        notification_retry(notification=row)


def test_sent_needs_a_time_constraint(member):
    from django.db import IntegrityError, transaction

    notification, _ = queue(member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(status=Status.SENT, sent_at=None)
