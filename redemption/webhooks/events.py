"""Record webhook deliveries for a domain event, inside the transaction that caused it.

Writing the deliveries with the change itself is an outbox: a committed redemption always has its
events, a rolled-back one never does. Sending happens after commit (sending.py).

Who receives what: an endpoint receives events about the vouchers its API key issued, redemptions
and reversals its key made, and, when operations marked it `all_vouchers`, about every voucher.
"""

import uuid
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from redemption.models import Redemption
from redemption.partner_models import WebhookDelivery, WebhookEndpoint
from vouchers.models import LedgerEntry, Voucher
from vouchers.selectors import vouchers_with_rules

from .sending import DELIVER_TASK


def _endpoints_for(event: str) -> list[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.filter(is_active=True, api_key__revoked_at__isnull=True)
    endpoints = endpoints.select_related("api_key")
    return [e for e in endpoints if e.wants(event)]


def _issuers(voucher_ids: Iterable[int], endpoints: list[WebhookEndpoint]) -> dict[int, int]:
    """voucher id -> id of the endpoints' API key that issued it (only vouchers those keys issued).

    The ledger keeps who issued as the key's stored actor label, unique per key.
    """
    key_by_label = {e.api_key.actor.label: e.api_key_id for e in endpoints}
    issued = LedgerEntry.objects.filter(
        voucher_id__in=list(voucher_ids), kind=LedgerEntry.Kind.ISSUED, actor_label__in=list(key_by_label)
    ).values_list("voucher_id", "actor_label")
    return {voucher_id: key_by_label[label] for voucher_id, label in issued}


def _envelope(event: str, event_id: uuid.UUID, data: dict) -> dict:
    return {"id": str(event_id), "type": event, "created_at": timezone.now().isoformat(), "data": data}


def _enqueue(deliveries: list[WebhookDelivery]) -> None:
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: [async_task(DELIVER_TASK, pk) for pk in ids])


def webhook_events_for_vouchers(*, event: str, voucher_ids: list[int]) -> list[WebhookDelivery]:
    """Deliveries of `event` (voucher.issued or voucher.expired) about each of the vouchers."""
    from redemption.api.serializers import VoucherSerializer

    endpoints = _endpoints_for(event)
    if not endpoints or not voucher_ids:
        return []
    issuers = _issuers(voucher_ids, endpoints) if not all(e.all_vouchers for e in endpoints) else {}
    wanted = {
        e.pk: [v for v in voucher_ids if e.all_vouchers or issuers.get(v) == e.api_key_id] for e in endpoints
    }
    relevant = {v for ids in wanted.values() for v in ids}
    if not relevant:
        return []
    vouchers = {v.pk: v for v in vouchers_with_rules(Voucher.objects.filter(pk__in=relevant))}
    context = {"now": timezone.now()}
    payloads = {pk: VoucherSerializer(v, context=context).data for pk, v in vouchers.items()}
    deliveries = []
    for endpoint in endpoints:
        for voucher_id in wanted[endpoint.pk]:
            event_id = uuid.uuid4()
            deliveries.append(
                WebhookDelivery(
                    endpoint=endpoint,
                    event_id=event_id,
                    event=event,
                    payload=_envelope(event, event_id, {"voucher": payloads[voucher_id]}),
                )
            )
    created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
    _enqueue(created)
    return created


def webhook_events_for_redemption(*, event: str, redemption: Redemption) -> list[WebhookDelivery]:
    """Deliveries of voucher.redeemed or voucher.reversed about one redemption."""
    from redemption.api.serializers import RedemptionSerializer, VoucherSerializer

    endpoints = _endpoints_for(event)
    if not endpoints:
        return []
    issuer = _issuers([redemption.voucher_id], endpoints).get(redemption.voucher_id)
    targets = [e for e in endpoints if e.all_vouchers or e.api_key_id in (issuer, redemption.api_key_id)]
    if not targets:
        return []
    voucher = vouchers_with_rules(Voucher.objects.filter(pk=redemption.voucher_id)).get()
    data = {
        "redemption": RedemptionSerializer(redemption).data,
        "voucher": VoucherSerializer(voucher).data,
    }
    deliveries = []
    for endpoint in targets:
        event_id = uuid.uuid4()
        payload = _envelope(event, event_id, data)
        deliveries.append(WebhookDelivery(endpoint=endpoint, event_id=event_id, event=event, payload=payload))
    created = WebhookDelivery.objects.bulk_create(deliveries)
    _enqueue(created)
    return created
