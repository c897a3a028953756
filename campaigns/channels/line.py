"""LINE Messaging API push, and a console backend for development.

Every attempt at one notification sends the same `X-Line-Retry-Key` (a UUID), so when an answer is
lost and the push is retried LINE does not deliver it twice: it answers 409 with the request id it
accepted the first time, which counts as delivered.
"""

import logging

from django.conf import settings

from .base import ChannelBackend, DeliveryReceipt, OutgoingMessage
from .http import post_json

logger = logging.getLogger("campaigns.channels")
LINE_TEXT_LIMIT = 5000


class ConsoleLineBackend(ChannelBackend):
    name = "line"

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        logger.warning("[line to %s] %s", message.recipient, message.body)
        return DeliveryReceipt(provider_message_id=f"console:{message.retry_key}")


class HttpLineBackend(ChannelBackend):
    name = "line"

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        answer = post_json(
            settings.NOTIFY_LINE_URL,
            {"to": message.recipient, "messages": [{"type": "text", "text": message.body[:LINE_TEXT_LIMIT]}]},
            headers={
                "Authorization": f"Bearer {settings.NOTIFY_LINE_TOKEN}",
                "X-Line-Retry-Key": str(message.retry_key),
            },
            timeout=settings.NOTIFY_HTTP_TIMEOUT_SECONDS,
        )
        headers = {k.lower(): v for k, v in answer.headers.items()}
        request_id = headers.get("x-line-accepted-request-id") or headers.get("x-line-request-id", "")
        return DeliveryReceipt(provider_message_id=request_id[:120])
