"""The channel adapters against a fake provider on loopback (no mocks of our own code)."""

import socket
import uuid

import pytest
from django.core import mail

from campaigns.channels import (
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
    channel_backend,
)
from campaigns.channels.email import DjangoEmailBackend
from campaigns.channels.line import HttpLineBackend
from campaigns.channels.sms import ConsoleSmsBackend, HttpSmsBackend


def message(**kwargs):
    defaults = dict(
        recipient="+886912345678", subject="S", body="哈囉 hello", retry_key=uuid.uuid4(), headers={}
    )
    return OutgoingMessage(**{**defaults, **kwargs})


def test_sms_http_posts_json_with_token_and_client_reference(http_channels):
    msg = message()
    receipt = HttpSmsBackend().send(msg)
    request = http_channels.requests[0]
    assert request["path"] == "/sms"
    assert request["headers"]["authorization"] == "Bearer sms-token"
    assert request["body"] == {
        "to": "+886912345678",
        "text": "哈囉 hello",
        "sender": "",
        "client_ref": str(msg.retry_key),
    }
    assert receipt.provider_message_id == "msg-1"


def test_sms_server_error_and_rate_limit_are_transient(http_channels):
    http_channels.answers = [503, 429]
    with pytest.raises(TransientDeliveryError, match="503"):
        HttpSmsBackend().send(message())
    with pytest.raises(TransientDeliveryError, match="429"):
        HttpSmsBackend().send(message())
    assert http_channels.delivered == []


def test_sms_bad_request_is_permanent(http_channels):
    http_channels.answers = [400]
    with pytest.raises(PermanentDeliveryError, match="400"):
        HttpSmsBackend().send(message())


def test_unreachable_provider_is_transient(settings):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.NOTIFY_SMS_URL = f"http://127.0.0.1:{port}/sms"
    with pytest.raises(TransientDeliveryError, match="network"):
        HttpSmsBackend().send(message())


def test_unconfigured_provider_url_is_permanent(settings):
    settings.NOTIFY_SMS_URL = ""
    with pytest.raises(PermanentDeliveryError):
        HttpSmsBackend().send(message())


def test_line_push_sends_retry_key_and_a_retry_is_not_delivered_twice(http_channels):
    msg = message(recipient="U1234567890abcdef")
    first = HttpLineBackend().send(msg)
    second = HttpLineBackend().send(msg)  # e.g. the first answer was lost and the task retried
    assert len(http_channels.requests) == 2
    assert len(http_channels.delivered) == 1
    request = http_channels.requests[0]
    assert request["path"] == "/v2/bot/message/push"
    assert request["headers"]["x-line-retry-key"] == str(msg.retry_key)
    assert request["headers"]["authorization"] == "Bearer line-token"
    assert request["body"] == {
        "to": "U1234567890abcdef",
        "messages": [{"type": "text", "text": "哈囉 hello"}],
    }
    assert first.provider_message_id == second.provider_message_id == f"req-{msg.retry_key}"


def test_line_unauthorised_is_permanent(http_channels):
    http_channels.answers = [401]
    with pytest.raises(PermanentDeliveryError):
        HttpLineBackend().send(message(recipient="U1"))


def test_email_goes_through_django_mail_with_headers():
    msg = message(recipient="owner@example.com", headers={"List-Unsubscribe": "<https://x/opt-out/t/>"})
    DjangoEmailBackend().send(msg)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["owner@example.com"]
    assert sent.subject == "S"
    assert sent.extra_headers["List-Unsubscribe"] == "<https://x/opt-out/t/>"
    assert sent.extra_headers["X-Entity-Ref-ID"] == str(msg.retry_key)


def test_backend_chosen_by_settings(settings):
    settings.NOTIFY_SMS_BACKEND = "console"
    assert isinstance(channel_backend("sms"), ConsoleSmsBackend)
    settings.NOTIFY_SMS_BACKEND = "http"
    assert isinstance(channel_backend("sms"), HttpSmsBackend)
    assert isinstance(channel_backend("email"), DjangoEmailBackend)
    settings.NOTIFY_LINE_BACKEND = "carrier-pigeon"
    with pytest.raises(PermanentDeliveryError):
        channel_backend("line")


def test_console_sms_logs_the_text(caplog):
    ConsoleSmsBackend().send(message(body="您的驗證碼 123456"))
    assert "您的驗證碼 123456" in caplog.text
