"""Row locks of the redemption app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from django.db.models import Exists, OuterRef, Subquery

from members.models import Dealer
from vehicles.models import Vehicle
from vouchers.locks import voucher_for_use
from vouchers.models import Voucher

from .models import Redemption
from .partner_models import ApiKey, WebhookEndpoint


def voucher_for_redemption(
    voucher_id: int, *, idempotency_key: str, vehicle: Vehicle, dealer: Dealer
) -> Voucher:
    """Lock a voucher to redeem it (after its vehicle), reading in the same statement what the use
    checks (`vouchers.locks.voucher_for_use`), the redemption an earlier call with this key made
    (`replay_redemption_id`) and whether any webhook endpoint could hear of it
    (`webhook_endpoints_exist`: when none does, the redemption announces it without looking)."""
    return voucher_for_use(
        voucher_id,
        idempotency_key=idempotency_key,
        vehicle_model_id=vehicle.model_id,
        dealer_id=dealer.pk,
        replay_redemption_id=Subquery(
            Redemption.objects.filter(voucher_id=OuterRef("pk"), idempotency_key=idempotency_key).values(
                "pk"
            )[:1]
        ),
        webhook_endpoints_exist=Exists(
            WebhookEndpoint.objects.filter(is_active=True, api_key__revoked_at__isnull=True)
        ),
    )


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
