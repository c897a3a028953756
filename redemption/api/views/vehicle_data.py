"""Vehicle data from partner systems (DMS, brand CRM): vehicles, deliveries, owners, workshop visits.

Every write is an upsert, so a retry changes nothing; an Idempotency-Key also replays the first
response. Each call records its changes with the key's name as their source.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from redemption.partner_models import ApiScope
from vehicles.exceptions import UnknownModel, VehicleNotFound
from vehicles.models import Vehicle, VehicleModel, Visit
from vehicles.services import (
    Origin,
    owner_upsert,
    vehicle_owner_set,
    vehicle_record_delivery,
    vehicle_upsert,
    visit_record,
)

from ..lookups import dealer_from_code, vin_from
from ..permissions import require_dealer
from ..problems import invalid
from ..schema import idempotency_header, problems
from ..vehicle_serializers import (
    DeliverySerializer,
    OwnershipResultSerializer,
    OwnershipSerializer,
    VehicleDataSerializer,
    VehiclePutSerializer,
    VisitRequestSerializer,
    VisitSerializer,
)
from .base import PartnerView

VIN_PARAMETER = OpenApiParameter("vin", str, OpenApiParameter.PATH, description="the vehicle's VIN")
IDEMPOTENCY = {"_409": ["idempotency_request_in_progress"], "_422": ["idempotency_key_reused"]}


class VehicleDataView(PartnerView):
    required_scope = ApiScope.VEHICLES

    @property
    def origin(self) -> Origin:
        return Origin(source=Visit.Source.API, label=self.api_key.actor.label)

    def vehicle(self, raw_vin: str) -> Vehicle:
        vehicle = Vehicle.objects.filter(vin=vin_from(raw_vin, parameter="vin")).first()
        if vehicle is None:
            raise VehicleNotFound()
        return vehicle

    def body(self, serializer_class) -> dict:
        data = serializer_class(data=self.request.data)
        data.is_valid(raise_exception=True)
        return data.validated_data


class VehiclePutView(VehicleDataView):
    serializer_class = VehiclePutSerializer

    @extend_schema(
        operation_id="vehicles_put",
        summary="Create or update a vehicle",
        description=(
            "Upsert keyed on the VIN. A value that differs is updated and the change kept (old → new); "
            "sending the same values again changes nothing. A first delivery date issues what the "
            "delivery event asks for, once per vehicle."
        ),
        tags=["vehicles"],
        parameters=[VIN_PARAMETER, idempotency_header(required=False)],
        request=VehiclePutSerializer,
        responses={
            200: VehicleDataSerializer,
            201: VehicleDataSerializer,
            **problems(post=True, _409=["plate_taken", *IDEMPOTENCY["_409"]], _422=IDEMPOTENCY["_422"]),
        },
    )
    def put(self, request, vin: str):
        return self.idempotent(request, self._put)

    def _put(self, _key) -> Response:
        body = self.body(VehiclePutSerializer)
        vin = vin_from(self.kwargs["vin"], parameter="vin")
        dealer = dealer_from_code(body["dealer"], pointer="#/dealer") if body.get("dealer") else None
        model = _model(body["model"])
        existed = Vehicle.objects.filter(vin=vin).exists()
        vehicle, _changed = vehicle_upsert(
            vin=vin,
            plate=body["plate"],
            model=model,
            model_year=body.get("model_year"),
            delivery_date=body.get("delivery_date"),
            selling_dealer=dealer,
            origin=self.origin,
        )
        vehicle = Vehicle.objects.select_related("model", "selling_dealer").get(pk=vehicle.pk)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(VehicleDataSerializer(vehicle).data, status=code)


def _model(name: str) -> VehicleModel:
    model = VehicleModel.objects.filter(code__iexact=name).first() or (
        VehicleModel.objects.filter(name__iexact=name).first()
    )
    if model is None:
        error = UnknownModel(model=name[:80])
        raise invalid(error.message, pointer="#/model", code=error.code)
    return model


class VehicleDeliveryView(VehicleDataView):
    serializer_class = DeliverySerializer

    @extend_schema(
        operation_id="vehicles_delivery",
        summary="Record a vehicle's delivery date",
        description=(
            "The delivery (invoice) date. The first one issues what definitions triggered by delivery "
            "ask for (e.g. a maintenance series), once per vehicle however often it is sent again."
        ),
        tags=["vehicles"],
        parameters=[VIN_PARAMETER, idempotency_header(required=False)],
        request=DeliverySerializer,
        responses={
            200: VehicleDataSerializer,
            **problems(
                post=True, _404=["vehicle_not_found"], _409=IDEMPOTENCY["_409"], _422=IDEMPOTENCY["_422"]
            ),
        },
    )
    def post(self, request, vin: str):
        return self.idempotent(request, self._deliver)

    def _deliver(self, _key) -> Response:
        body = self.body(DeliverySerializer)
        vehicle = self.vehicle(self.kwargs["vin"])
        vehicle_record_delivery(vehicle=vehicle, delivery_date=body["delivery_date"], origin=self.origin)
        vehicle = Vehicle.objects.select_related("model", "selling_dealer").get(pk=vehicle.pk)
        return Response(VehicleDataSerializer(vehicle).data)


class VehicleOwnershipView(VehicleDataView):
    serializer_class = OwnershipSerializer

    @extend_schema(
        operation_id="vehicles_ownership",
        summary="Set a vehicle's owner from a date",
        description=(
            "The owner (by mobile number, created when unknown; no consent is assumed) from `since`. "
            "An owner other than the current one is an ownership transfer: the previous owner's "
            "first-owner benefits are voided, vouchers held by the car stay with it."
        ),
        tags=["vehicles"],
        parameters=[VIN_PARAMETER, idempotency_header(required=False)],
        request=OwnershipSerializer,
        responses={
            200: OwnershipResultSerializer,
            **problems(
                post=True,
                _404=["vehicle_not_found"],
                _409=["ownership_date_invalid", *IDEMPOTENCY["_409"]],
                _422=IDEMPOTENCY["_422"],
            ),
        },
    )
    def post(self, request, vin: str):
        return self.idempotent(request, self._own)

    def _own(self, _key) -> Response:
        body = self.body(OwnershipSerializer)
        vehicle = self.vehicle(self.kwargs["vin"])
        since = body.get("since") or timezone.localdate()
        member, member_changed = owner_upsert(
            phone=body["phone"],
            name=body["name"],
            email=body["email"],
            birthday=body.get("birthday"),
            origin=self.origin,
        )
        changed = vehicle_owner_set(vehicle=vehicle, member=member, since=since, origin=self.origin)
        return Response({"vin": vehicle.vin, "owner_since": since, "changed": changed or member_changed})


class VisitCreateView(VehicleDataView):
    serializer_class = VisitRequestSerializer

    @extend_schema(
        operation_id="visits_record",
        summary="Record a workshop visit",
        description=(
            "A repair order, keyed on dealer + repair-order number: sending it again changes nothing, "
            "a changed value updates it. Updates the vehicle's last visit and mileage; a mileage "
            "below the last reading is refused unless `odometer_replaced`."
        ),
        tags=["vehicles"],
        parameters=[idempotency_header(required=False)],
        request=VisitRequestSerializer,
        responses={
            200: VisitSerializer,
            201: VisitSerializer,
            **problems(
                post=True,
                _404=["vehicle_not_found"],
                _409=["mileage_below_last", "repair_order_taken", *IDEMPOTENCY["_409"]],
                _422=IDEMPOTENCY["_422"],
            ),
        },
    )
    def post(self, request):
        return self.idempotent(request, self._visit)

    def _visit(self, _key) -> Response:
        body = self.body(VisitRequestSerializer)
        vehicle = self.vehicle_from_body(body["vin"])
        dealer = dealer_from_code(body["dealer"], pointer="#/dealer")
        require_dealer(self.api_key, dealer)
        existed = Visit.objects.filter(dealer=dealer, repair_order=body["repair_order"]).exists()
        visit, _changed = visit_record(
            vehicle=vehicle,
            dealer=dealer,
            visited_on=body["date"],
            repair_order=body["repair_order"],
            kind=body["kind"],
            mileage_km=body.get("mileage_km"),
            odometer_replaced=body["odometer_replaced"],
            origin=self.origin,
        )
        visit = Visit.objects.select_related("vehicle", "dealer").get(pk=visit.pk)
        return Response(
            VisitSerializer(visit).data, status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )

    def vehicle_from_body(self, raw_vin: str) -> Vehicle:
        vehicle = Vehicle.objects.filter(vin=vin_from(raw_vin, pointer="#/vin")).first()
        if vehicle is None:
            raise VehicleNotFound()
        return vehicle
