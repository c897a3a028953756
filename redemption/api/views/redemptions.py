"""Redemptions: reverse a mistaken one."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from redemption.exceptions import RedemptionNotFound
from redemption.models import Redemption
from redemption.partner_models import ApiKey, ApiScope
from redemption.services import redemption_reverse
from vouchers.selectors import voucher_by_code

from ..schema import idempotency_header, problems
from ..serializers import RedemptionResultSerializer, ReverseRequestSerializer
from .base import PartnerView


def _may_reverse(api_key: ApiKey, redemption: Redemption) -> bool:
    """A key reverses what it redeemed itself, or anything at one of the dealers it is limited to."""
    if redemption.api_key_id == api_key.pk:
        return True
    return redemption.dealer_id in {d.pk for d in api_key.dealers.all()}


class RedemptionReverseView(PartnerView):
    required_scope = ApiScope.REDEEM
    serializer_class = ReverseRequestSerializer

    @extend_schema(
        operation_id="redemptions_reverse",
        summary="Reverse a redemption",
        description=(
            "Give the use back to the voucher, within the reversal window (24 hours unless configured "
            "otherwise). A key may reverse redemptions it made, or any at the dealers it is limited to. "
            "Reversing a reversed redemption changes nothing and answers it as it is."
        ),
        tags=["redemptions"],
        parameters=[idempotency_header(required=False)],
        request=ReverseRequestSerializer,
        responses={
            200: RedemptionResultSerializer,
            **problems(
                post=True,
                _404=["redemption_not_found"],
                _409=[
                    "reversal_window_passed",
                    "redemption_not_reversible",
                    "invalid_transition",
                    "idempotency_request_in_progress",
                ],
                _422=["idempotency_key_reused"],
            ),
        },
    )
    def post(self, request, pk: int):
        return self.idempotent(request, lambda _key: self._reverse(pk))

    def _reverse(self, pk: int) -> Response:
        data = self.get_serializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        redemption = Redemption.objects.select_related("dealer", "vehicle", "voucher").filter(pk=pk).first()
        # Another partner's redemption answers as one that does not exist: a 403 would tell a key
        # which redemption ids are in use.
        if redemption is None or not _may_reverse(self.api_key, redemption):
            raise RedemptionNotFound()
        reversed_ = redemption_reverse(
            redemption=redemption,
            reason=data.validated_data["reason"],
            actor=self.api_key.actor,
        )
        reversed_.voucher = voucher_by_code(redemption.voucher.code)
        result = {"redemption": reversed_, "voucher": reversed_.voucher}
        return Response(RedemptionResultSerializer(result).data)
