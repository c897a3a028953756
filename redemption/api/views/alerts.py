"""Telematics alerts: the car's own system reports a condition (tyre pressure, battery, ...).

Idempotent by the sender's alert id (the key's name is the sender): the same alert sent again
answers 200 with the first one, the same id with other values 409 `alert_id_conflict`. An
Idempotency-Key also replays the first response, as on every POST.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from redemption.partner_models import ApiScope
from vehicles.exceptions import DateInFuture, VehicleNotFound
from vehicles.models import Vehicle, VehicleAlert
from vehicles.services.alerts import alert_raise

from ..lookups import vin_from
from ..problems import invalid, query_invalid
from ..schema import idempotency_header, problems
from ..vehicle_serializers import AlertRequestSerializer, AlertSerializer
from .base import PartnerView

# The newest first; a car with more has a sender that never lets go of an alert.
LIST_LIMIT = 100
VIN_PARAMETER = OpenApiParameter("vin", str, OpenApiParameter.PATH, description="the vehicle's VIN")
STATUS_PARAMETER = OpenApiParameter(
    "status",
    {"$ref": "#/components/schemas/AlertStatusEnum"},
    OpenApiParameter.QUERY,
    required=False,
    description="only the open or only the closed alerts",
)


class _ListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=VehicleAlert.Status.choices, required=False)


class VehicleAlertsView(PartnerView):
    serializer_class = AlertSerializer

    @property
    def required_scope(self) -> str:
        # Reading a car's alerts is reading vehicle data; raising one is the telematics sender's.
        return ApiScope.TELEMATICS if self.request.method == "POST" else ApiScope.READ

    def _vehicle(self) -> Vehicle:
        vehicle = Vehicle.objects.filter(vin=vin_from(self.kwargs["vin"], parameter="vin")).first()
        if vehicle is None:
            raise VehicleNotFound()
        return vehicle

    @extend_schema(
        operation_id="vehicles_alerts_list",
        summary="A vehicle's telematics alerts",
        description=f"The vehicle's alerts from every sender, newest first (at most {LIST_LIMIT}).",
        tags=["telematics"],
        parameters=[VIN_PARAMETER, STATUS_PARAMETER],
        responses={200: AlertSerializer(many=True), **problems(_404=["vehicle_not_found"])},
    )
    def get(self, request, vin: str):
        # A plain dict, not the QueryDict: DRF skips an empty optional form value (`?status=`).
        query = _ListQuery(data=request.query_params.dict())
        try:
            query.is_valid(raise_exception=True)
        except ValidationError as exc:
            raise query_invalid(exc) from exc
        alerts = VehicleAlert.objects.filter(vehicle=self._vehicle()).select_related("vehicle")
        if query.validated_data.get("status"):
            alerts = alerts.filter(status=query.validated_data["status"])
        return Response(AlertSerializer(alerts.order_by("-raised_at", "-pk")[:LIST_LIMIT], many=True).data)

    @extend_schema(
        operation_id="vehicles_alerts_raise",
        summary="Report a telematics alert",
        description=(
            "A condition the car reported. New: 201, and the owner is told (with a link to book a "
            "visit and, where operations set a rule for this kind and severity, a voucher). The same "
            "`alert_id` again with the same values: 200 with the first alert, nothing more is sent; "
            "with other values: 409 `alert_id_conflict`. A workshop visit or an advisor closes it."
        ),
        tags=["telematics"],
        parameters=[VIN_PARAMETER, idempotency_header(required=False)],
        request=AlertRequestSerializer,
        responses={
            200: AlertSerializer,
            201: AlertSerializer,
            **problems(
                post=True,
                _404=["vehicle_not_found"],
                _409=["alert_id_conflict", "idempotency_request_in_progress"],
                _422=["idempotency_key_reused"],
            ),
        },
    )
    def post(self, request, vin: str):
        return self.idempotent(request, self._raise)

    def _raise(self, _key) -> Response:
        body = AlertRequestSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        vehicle = self._vehicle()
        try:
            alert, created = alert_raise(
                vehicle=vehicle,
                sender=self.api_key.name,
                sender_alert_id=data["alert_id"],
                kind=data["kind"],
                severity=data["severity"],
                raised_at=data["raised_at"],
                message=data["message"],
            )
        except DateInFuture as exc:
            raise invalid(exc.message, pointer="#/raised_at", code=exc.code) from exc
        alert.vehicle = vehicle
        return Response(
            AlertSerializer(alert).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
