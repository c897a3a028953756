"""/api/: the partner API (v1), its OpenAPI schema and docs. Included from config/urls.py."""

from django.urls import path, re_path

from .views.alerts import VehicleAlertsView
from .views.meta import (
    ApiNotFoundView,
    ProblemTypeDetailView,
    ProblemTypeListView,
    RedocView,
    SchemaView,
    SwaggerView,
)
from .views.redemptions import RedemptionReverseView
from .views.vehicle_data import VehicleDeliveryView, VehicleOwnershipView, VehiclePutView, VisitCreateView
from .views.vehicles import VehicleVouchersView
from .views.vouchers import VoucherActivateView, VoucherDetailView, VoucherIssueView, VoucherRedeemView
from .views.webhooks import WebhookDeliveryListView, WebhookEndpointDetailView, WebhookEndpointListView

app_name = "api"

urlpatterns = [
    path("v1/vouchers/issue", VoucherIssueView.as_view(), name="vouchers-issue"),
    path("v1/vouchers/<str:code>", VoucherDetailView.as_view(), name="voucher-detail"),
    path("v1/vouchers/<str:code>/activate", VoucherActivateView.as_view(), name="voucher-activate"),
    path("v1/vouchers/<str:code>/redeem", VoucherRedeemView.as_view(), name="voucher-redeem"),
    path("v1/redemptions/<int:pk>/reverse", RedemptionReverseView.as_view(), name="redemption-reverse"),
    path("v1/vehicles/<str:vin>/vouchers", VehicleVouchersView.as_view(), name="vehicle-vouchers"),
    path("v1/vehicles/<str:vin>", VehiclePutView.as_view(), name="vehicle-put"),
    path("v1/vehicles/<str:vin>/delivery", VehicleDeliveryView.as_view(), name="vehicle-delivery"),
    path("v1/vehicles/<str:vin>/ownership", VehicleOwnershipView.as_view(), name="vehicle-ownership"),
    path("v1/vehicles/<str:vin>/alerts", VehicleAlertsView.as_view(), name="vehicle-alerts"),
    path("v1/visits", VisitCreateView.as_view(), name="visits"),
    path("v1/webhooks", WebhookEndpointListView.as_view(), name="webhooks"),
    path("v1/webhooks/<int:pk>", WebhookEndpointDetailView.as_view(), name="webhook-detail"),
    path("v1/webhooks/<int:pk>/deliveries", WebhookDeliveryListView.as_view(), name="webhook-deliveries"),
    path("problems/", ProblemTypeListView.as_view(), name="problems"),
    path("problems/<str:code>", ProblemTypeDetailView.as_view(), name="problem-type"),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("docs/redoc/", RedocView.as_view(url_name="api:schema"), name="redoc"),
    # [\s\S], not ".": a path with an encoded newline (%0A) is still under /api/, still a problem 404.
    re_path(r"^[\s\S]*$", ApiNotFoundView.as_view(), name="not-found"),
]
