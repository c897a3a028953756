"""A vehicle's vouchers, filterable by status and category, paginated."""

from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError

from redemption.partner_models import ApiScope
from vehicles.exceptions import VehicleNotFound
from vehicles.models import Vehicle
from vouchers.models import Voucher
from vouchers.selectors import vouchers_for_vehicle

from ..filters import CATEGORY_HELP, STATUS_HELP, VoucherFilter
from ..lookups import vin_from
from ..pagination import VoucherPagination
from ..problems import query_invalid
from ..schema import problems
from ..serializers import VoucherSerializer
from .base import PartnerView


def _enum_list(name: str, component: str, description: str) -> OpenApiParameter:
    """A repeatable query parameter whose values are a shared enum (`?status=a&status=b`).

    Declared rather than inferred: inferred, its items carry the model field's translated verbose
    name as `title`, which code generators turn into a one-off enum type.
    """
    return OpenApiParameter(
        name,
        {"type": "array", "items": {"$ref": f"#/components/schemas/{component}"}},
        OpenApiParameter.QUERY,
        explode=True,
        style="form",
        description=description,
    )


class VehicleVouchersView(PartnerView):
    required_scope = ApiScope.READ
    serializer_class = VoucherSerializer
    pagination_class = VoucherPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = VoucherFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Voucher.objects.none()
        vin = vin_from(self.kwargs["vin"], parameter="vin")
        vehicle = Vehicle.objects.filter(vin=vin).first()
        if vehicle is None:
            raise VehicleNotFound()
        return vouchers_for_vehicle(vehicle)

    def paginate_queryset(self, queryset):
        try:
            return super().paginate_queryset(queryset)
        except NotFound as exc:
            raise NotFound(gettext("This page does not exist.")) from exc

    @extend_schema(
        operation_id="vehicles_vouchers_list",
        summary="A vehicle's vouchers",
        description=(
            "Every voucher usable with the vehicle: its own and those of its current owner and "
            "authorised drivers that are valid with any of their cars. Ordered by end of validity."
        ),
        tags=["vehicles"],
        parameters=[
            OpenApiParameter("vin", str, OpenApiParameter.PATH, description="the vehicle's VIN"),
            _enum_list("status", "VoucherStatusEnum", STATUS_HELP),
            _enum_list("category", "CategoryEnum", CATEGORY_HELP),
        ],
        responses={200: VoucherSerializer(many=True), **problems(_404=["vehicle_not_found", "not_found"])},
    )
    def get(self, request, vin: str):
        queryset = self.get_queryset()
        try:
            page = self.paginate_queryset(self.filter_queryset(queryset))
        except ValidationError as exc:
            raise query_invalid(exc) from exc
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
