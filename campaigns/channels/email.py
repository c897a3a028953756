"""E-mail through Django's configured e-mail backend (console in development, SMTP in production)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .base import (
    ChannelBackend,
    DeliveryReceipt,
    OutgoingMessage,
    PermanentDeliveryError,
    TransientDeliveryError,
)


class DjangoEmailBackend(ChannelBackend):
    name = "email"

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        email = EmailMessage(
            subject=message.subject or message.body.splitlines()[0][:80],
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.recipient],
            headers={"X-Entity-Ref-ID": str(message.retry_key), **message.headers},
        )
        try:
            sent = get_connection(fail_silently=False).send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(f"smtp: {exc}") from exc
        if not sent:
            raise TransientDeliveryError("the e-mail backend sent nothing")
        return DeliveryReceipt(provider_message_id=email.extra_headers.get("Message-ID", ""))
