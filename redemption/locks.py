"""Row locks of the redemption app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from .models import Redemption
from .partner_models import ApiKey, WebhookEndpoint


def redemption_for_update(redemption_id: int) -> Redemption:
    """Lock a redemption (after its vehicle and its voucher: the order every redemption takes)."""
    return (
        Redemption.objects.select_for_update(no_key=True, of=("self",))
        .select_related("vehicle")
        .get(pk=redemption_id)
    )


def api_key_for_update(api_key_id: int) -> ApiKey:
    """Lock a partner key: revocation and the count of its webhook endpoints serialise on it."""
    return ApiKey.objects.select_for_update(no_key=True, of=("self",)).get(pk=api_key_id)


def webhook_endpoint_for_update(*, api_key: ApiKey, endpoint_id: int) -> WebhookEndpoint | None:
    """Lock this key's active endpoint, if it has one with this id."""
    return (
        WebhookEndpoint.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=endpoint_id, api_key=api_key, is_active=True)
        .first()
    )
