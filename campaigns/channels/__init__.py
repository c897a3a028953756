"""Channels behind one interface: `channel_backend(name).send(OutgoingMessage)`.

Chosen by settings (NOTIFY_SMS_BACKEND, NOTIFY_LINE_BACKEND = "console" | "http"; e-mail always
goes through Django's EMAIL_BACKEND), so development prints to the console and production calls
the providers without a code change.
"""

from django.conf import settings

from .base import (
    ChannelBackend,
    DeliveryError,
    DeliveryReceipt,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from .email import DjangoEmailBackend
from .line import ConsoleLineBackend, HttpLineBackend
from .sms import ConsoleSmsBackend, HttpSmsBackend

_BACKENDS = {
    ("sms", "console"): ConsoleSmsBackend,
    ("sms", "http"): HttpSmsBackend,
    ("line", "console"): ConsoleLineBackend,
    ("line", "http"): HttpLineBackend,
}


def channel_backend(channel: str) -> ChannelBackend:
    if channel == "email":
        return DjangoEmailBackend()
    choice = {"sms": settings.NOTIFY_SMS_BACKEND, "line": settings.NOTIFY_LINE_BACKEND}.get(channel)
    try:
        return _BACKENDS[(channel, choice)]()
    except KeyError:
        raise PermanentDeliveryError(f"no backend {choice!r} for channel {channel!r}") from None


__all__ = [
    "ChannelBackend",
    "DeliveryError",
    "DeliveryReceipt",
    "OutgoingMessage",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "channel_backend",
]
