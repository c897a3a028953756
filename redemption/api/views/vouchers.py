"""Vouchers: issue, look up, activate, redeem."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from config.prepared import read_together
from redemption.partner_models import ApiScope
from redemption.services import redemption_redeem
from vehicles.mileage import OdometerReplacement
from vehicles.models import Vehicle
from vouchers.eligibility import Reason
from vouchers.models import Voucher
from vouchers.selectors import voucher_by_code
from vouchers.services import voucher_activate, voucher_issue

from ..lookups import (
    dealer_from_code,
    dealer_read,
    definition_from_code,
    member_from_ref,
    vehicle_from_ref,
    vehicle_ref_read,
    voucher_from_path,
    voucher_read,
)
from ..permissions import require_dealer
from ..schema import idempotency_header, problems
from ..serializers import (
    IssueRequestSerializer,
    IssueResponseSerializer,
    RedeemRequestSerializer,
    RedemptionResultSerializer,
    VoucherSerializer,
)
from .base import PartnerView

# Every reason a voucher can be refused for (the codes of vouchers.eligibility.Reason).
NOT_USABLE = list(Reason.values)
IDEMPOTENCY = {"_409": ["idempotency_request_in_progress"], "_422": ["idempotency_key_reused"]}


def _fresh(voucher: Voucher) -> Voucher:
    return voucher_by_code(voucher.code)


def _after_redeeming(looked_up: Voucher, presented: Vehicle, redemption) -> Voucher:
    """The voucher as the redemption left it: the instance the service locked and wrote, holding the
    holder rows read before (a voucher's holder does not change by a redemption), so the answer
    needs no second read: its vehicle is the one presented (a redemption of another car's voucher
    is refused), its member the one read with it. A replay changed nothing now: it answers the
    voucher as it is."""
    if redemption.replayed:
        return _fresh(looked_up)
    written = redemption.voucher
    if written.vehicle_id == presented.pk:
        written.vehicle = presented
    if written.member_id == looked_up.member_id:
        written.member = looked_up.member
    return written


class VoucherIssueView(PartnerView):
    required_scope = ApiScope.ISSUE
    idempotency_required = True
    serializer_class = IssueRequestSerializer

    @extend_schema(
        operation_id="vouchers_issue",
        summary="Issue vouchers",
        description=(
            "Issue `quantity` units of a voucher definition open to the partner API to a vehicle "
            "and/or a member (a member unknown to the platform is created from the mobile number). "
            "A definition that issues a series (e.g. a 12-voucher maintenance pack) issues the whole "
            "series per unit."
        ),
        tags=["vouchers"],
        parameters=[idempotency_header(required=True)],
        request=IssueRequestSerializer,
        responses={
            201: IssueResponseSerializer,
            **problems(
                post=True,
                _404=["definition_not_found", "vehicle_not_found"],
                _409=[
                    "definition_not_issuable",
                    "stock_exhausted",
                    "holder_limit_reached",
                    "not_first_owner",
                    "not_past_owner",
                    *IDEMPOTENCY["_409"],
                ],
                _422=IDEMPOTENCY["_422"],
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        return self.idempotent(request, self._issue)

    def _issue(self, idempotency_key: str | None) -> Response:
        data = self.get_serializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        definition = definition_from_code(body["definition"])
        vehicle = vehicle_from_ref(body["vehicle"], pointer="#/vehicle") if body.get("vehicle") else None
        member = member_from_ref(body["member"], pointer="#/member") if body.get("member") else None
        vouchers = voucher_issue(
            definition=definition,
            source=Voucher.Source.API,
            member=member,
            vehicle=vehicle,
            quantity=body["quantity"],
            actor=self.api_key.actor,
            external_ref=body["external_ref"],
            idempotency_key=idempotency_key,
        )
        result = IssueResponseSerializer({"vouchers": vouchers}).data
        return Response(result, status=status.HTTP_201_CREATED)


class VoucherDetailView(PartnerView):
    required_scope = ApiScope.READ
    serializer_class = VoucherSerializer

    @extend_schema(
        operation_id="vouchers_retrieve",
        summary="Look up a voucher",
        description="The voucher with this code (any spelling: case, dashes and spaces do not matter).",
        tags=["vouchers"],
        responses={200: VoucherSerializer, **problems(_404=["voucher_not_found"])},
    )
    def get(self, request, code: str):
        return Response(VoucherSerializer(voucher_from_path(code)).data)


class VoucherActivateView(PartnerView):
    required_scope = ApiScope.ISSUE
    serializer_class = None

    @extend_schema(
        operation_id="vouchers_activate",
        summary="Activate a voucher",
        description="Activate an inactive voucher whose definition is activated by a partner system.",
        tags=["vouchers"],
        parameters=[idempotency_header(required=False)],
        request=None,
        responses={
            200: VoucherSerializer,
            **problems(
                post=True,
                _404=["voucher_not_found"],
                _409=[
                    "activation_not_allowed",
                    "invalid_transition",
                    "voucher_expired",
                    *IDEMPOTENCY["_409"],
                ],
                _422=IDEMPOTENCY["_422"],
            ),
        },
    )
    def post(self, request, code: str):
        return self.idempotent(request, lambda key: self._activate(code, key))

    def _activate(self, code: str, idempotency_key: str | None) -> Response:
        voucher = voucher_from_path(code)
        voucher_activate(
            voucher=voucher,
            via="partner",
            actor=self.api_key.actor,
            idempotency_key=idempotency_key,
        )
        return Response(VoucherSerializer(_fresh(voucher)).data)


class VoucherRedeemView(PartnerView):
    required_scope = ApiScope.REDEEM
    idempotency_required = True
    serializer_class = RedeemRequestSerializer

    @extend_schema(
        operation_id="vouchers_redeem",
        summary="Redeem one use of a voucher",
        description=(
            "Redeem one use at a dealer for the vehicle presented (`vin` or `plate`). Answers the "
            "redemption (keep its `id` to reverse it) and the voucher after it."
        ),
        tags=["vouchers"],
        parameters=[idempotency_header(required=True)],
        request=RedeemRequestSerializer,
        responses={
            200: RedemptionResultSerializer,
            **problems(
                post=True,
                _404=["voucher_not_found", "vehicle_not_found"],
                _409=[*NOT_USABLE, "mileage_below_last", *IDEMPOTENCY["_409"]],
                _422=IDEMPOTENCY["_422"],
            ),
        },
    )
    def post(self, request, code: str):
        return self.idempotent_in_service(request, lambda key, keep: self._redeem(code, key, keep))

    def _redeem(self, code: str, idempotency_key: str, keep) -> Response:
        data = self.get_serializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        body = data.validated_data
        # The service locks and reads the voucher with its definition; the answer takes the holder
        # from here: the member read with the voucher, the vehicle presented (see _after_redeeming).
        related = ("member",)
        # The three reads go in one statement; each lookup still refuses in its turn.
        with read_together(
            voucher_read(code, related=related),
            dealer_read(body["dealer"]),
            vehicle_ref_read(body["vehicle"]),
        ):
            voucher = voucher_from_path(code, related=related)
            dealer = dealer_from_code(body["dealer"], pointer="#/dealer")
            require_dealer(self.api_key, dealer)
            pointer = "#/vehicle" if "vehicle" in self.request.data else "#"
            vehicle = vehicle_from_ref(body["vehicle"], pointer=pointer)
        answered = {}

        def answer(redemption) -> None:
            # Inside the redemption's transaction: the stored answer commits with it.
            result = {"redemption": redemption, "voucher": _after_redeeming(voucher, vehicle, redemption)}
            answered["response"] = keep(Response(RedemptionResultSerializer(result).data))

        redemption_redeem(
            voucher=voucher,
            vehicle=vehicle,
            dealer=dealer,
            idempotency_key=idempotency_key,
            actor=self.api_key.actor,
            channel="api",
            mileage_km=body.get("mileage_km"),
            odometer_replacement=(
                OdometerReplacement(reason=body["odometer_replacement_reason"])
                if body["odometer_replaced"]
                else None
            ),
            work_order=body["work_order"],
            before_commit=answer,
        )
        return answered["response"]
