"""The one interface every channel implements, and the two ways a send can fail."""

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class OutgoingMessage:
    recipient: str
    subject: str
    body: str
    # Stable across every attempt at the same notification: providers use it to drop a repeat.
    retry_key: UUID
    headers: dict


@dataclass(frozen=True)
class DeliveryReceipt:
    provider_message_id: str = ""


class DeliveryError(Exception):
    """The provider did not take the message. `permanent` ones are not retried."""

    permanent = False


class TransientDeliveryError(DeliveryError):
    permanent = False


class PermanentDeliveryError(DeliveryError):
    permanent = True


class ChannelBackend:
    name = ""

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        raise NotImplementedError
