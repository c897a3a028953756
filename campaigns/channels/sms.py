"""SMS: a JSON HTTP gateway adapter for production and a console backend for development.

The gateway contract (most Taiwanese SMS gateways offer it, or a small relay in front of one does):
POST NOTIFY_SMS_URL with `Authorization: Bearer NOTIFY_SMS_TOKEN` and
{"to": "+886912345678", "text": "...", "sender": "...", "client_ref": "<uuid>"}; 2xx with
{"id": "..."} means accepted. `client_ref` is the same on every retry of one notification, so the
gateway drops a repeat of a message it already accepted (409 is taken as "already accepted").
"""

import logging

from django.conf import settings

from .base import ChannelBackend, DeliveryReceipt, OutgoingMessage
from .http import post_json

logger = logging.getLogger("campaigns.channels")


class ConsoleSmsBackend(ChannelBackend):
    name = "sms"

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        logger.warning("[sms to %s] %s", message.recipient, message.body)
        return DeliveryReceipt(provider_message_id=f"console:{message.retry_key}")


class HttpSmsBackend(ChannelBackend):
    name = "sms"

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        answer = post_json(
            settings.NOTIFY_SMS_URL,
            {
                "to": message.recipient,
                "text": message.body,
                "sender": settings.NOTIFY_SMS_SENDER,
                "client_ref": str(message.retry_key),
            },
            headers={"Authorization": f"Bearer {settings.NOTIFY_SMS_TOKEN}"},
            timeout=settings.NOTIFY_HTTP_TIMEOUT_SECONDS,
        )
        return DeliveryReceipt(provider_message_id=str(answer.body.get("id", ""))[:120])
