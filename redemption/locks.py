"""Row locks of the redemption app. The rule (strength, order, short blocks): docs/architecture.md,
"Concurrency rules". Call inside `transaction.atomic()`."""

from django.db import connection
from django.db.models import BigIntegerField, BooleanField
from django.db.models.expressions import RawSQL

from members.models import Dealer
from vehicles.models import Vehicle
from vouchers.locks import correlated, outer_column, voucher_for_use
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
        extra=_redemption_checks,
        extra_name="redemption",
    )


def _redemption_checks(idempotency_key: str | None) -> dict:
    quote = connection.ops.quote_name
    keys = quote(ApiKey._meta.db_table)
    endpoints_of_live_keys = RawSQL(  # noqa: S611 - quoted identifiers only
        f"EXISTS(SELECT 1 FROM {quote(WebhookEndpoint._meta.db_table)} e JOIN {keys} k"  # noqa: S608
        f" ON k.{quote('id')} = e.{quote('api_key_id')}"
        f" WHERE e.{quote('is_active')} AND k.{quote('revoked_at')} IS NULL)",
        [],
        output_field=BooleanField(),
    )
    return {
        "replay_redemption_id": correlated(
            Redemption,
            select="{table}.id",
            where={"idempotency_key": idempotency_key},
            outer={"voucher": outer_column(Voucher, "id")},
            output_field=BigIntegerField(),
        ),
        "webhook_endpoints_exist": endpoints_of_live_keys,
    }


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
