"""Use cases for a partner's webhook endpoints: register and remove."""

import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from config.stored_text import fit_to_column
from redemption.locks import api_key_for_update, webhook_endpoint_for_update
from redemption.partner_models import ApiKey, WebhookEndpoint, WebhookEvent

from .targets import webhook_url_refusal

MAX_ENDPOINTS_PER_KEY = 10


class WebhookEndpointInvalid(DomainError):
    code = "webhook_endpoint_invalid"
    default_message = _("This webhook endpoint cannot be registered.")
    http_status = 400


class WebhookEndpointNotFound(DomainError):
    code = "not_found"
    default_message = _("No such webhook endpoint.")
    http_status = 404


class WebhookEndpointExists(DomainError):
    code = "webhook_endpoint_exists"
    title = _("Webhook endpoint already registered")
    default_message = _(
        "This URL is already registered for this key (endpoint %(id)s); remove that one to register it again."
    )
    http_status = 409


@dataclass(frozen=True)
class RegisteredEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def webhook_endpoint_register(
    *,
    api_key: ApiKey,
    url: str,
    events: list[str],
    secret: str = "",
    description: str = "",
    idempotency_key: str | None = None,
) -> RegisteredEndpoint:
    """Register a URL for the key's events; without a secret the platform generates one.

    A call with the idempotency key of an earlier one answers the endpoint that call registered.
    """
    refusal = webhook_url_refusal(url)
    if refusal:
        raise WebhookEndpointInvalid(refusal)
    unknown = [e for e in events if e not in WebhookEvent.values]
    if unknown:
        raise WebhookEndpointInvalid(_("Unknown events: %(events)s."), events=", ".join(unknown))
    secret = secret or "whsec_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = api_key_for_update(api_key.pk)
        if idempotency_key and (
            earlier := locked.webhook_endpoints.filter(idempotency_key=idempotency_key).first()
        ):
            return RegisteredEndpoint(endpoint=earlier, secret=earlier.secret)
        # Two live endpoints with one URL would receive every event twice (a retried POST without
        # an Idempotency-Key would do that silently): refused here, and by a constraint.
        if same := locked.webhook_endpoints.filter(is_active=True, url=url).first():
            raise WebhookEndpointExists(id=same.pk)
        if locked.webhook_endpoints.filter(is_active=True).count() >= MAX_ENDPOINTS_PER_KEY:
            raise WebhookEndpointInvalid(
                _("An API key may have at most %(count)s webhook endpoints."), count=MAX_ENDPOINTS_PER_KEY
            )
        endpoint = WebhookEndpoint.objects.create(
            api_key=locked,
            url=url,
            secret=secret,
            events=sorted(set(events)),
            description=fit_to_column(WebhookEndpoint, "description", description),
            idempotency_key=idempotency_key or None,
        )
    return RegisteredEndpoint(endpoint=endpoint, secret=secret)


def webhook_endpoint_remove(*, api_key: ApiKey, endpoint_id: int) -> WebhookEndpoint:
    """Stop sending to an endpoint of this key; its delivery log stays. Removing twice is a 404."""
    with transaction.atomic():
        endpoint = webhook_endpoint_for_update(api_key=api_key, endpoint_id=endpoint_id)
        if endpoint is None:
            raise WebhookEndpointNotFound()
        endpoint.is_active = False
        endpoint.save(update_fields=["is_active"])
    return endpoint


def webhook_endpoint_set_reach(*, endpoint: WebhookEndpoint, all_vouchers: bool) -> WebhookEndpoint:
    """Operations: let an endpoint hear about every voucher (e.g. the brand's CRM), or only its own."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(all_vouchers=all_vouchers)
    endpoint.all_vouchers = all_vouchers
    return endpoint


def webhook_endpoint_disable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Operations: stop sending to an endpoint (e.g. one that keeps failing)."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    endpoint.is_active = False
    return endpoint
