"""A partner's webhook endpoints and their delivery log."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from redemption.partner_models import WebhookEndpoint
from redemption.webhooks.endpoints import (
    WebhookEndpointNotFound,
    webhook_endpoint_register,
    webhook_endpoint_remove,
)

from ..pagination import StrictPageNumberPagination
from ..schema import idempotency_header, problems
from ..serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointRequestSerializer,
    WebhookEndpointSerializer,
)
from .base import PartnerView

# drf-spectacular names a `pk` placeholder `{id}` (SCHEMA_COERCE_PATH_PK), so the parameter that
# describes it must be called `id` too: one placeholder, one declared parameter.
ID = OpenApiParameter("id", int, OpenApiParameter.PATH, description="the endpoint's id")


class DeliveryPagination(StrictPageNumberPagination):
    page_size = 50


class WebhookEndpointListView(PartnerView):
    serializer_class = WebhookEndpointSerializer

    def get_queryset(self):
        return WebhookEndpoint.objects.filter(api_key=self.api_key, is_active=True).order_by("pk")

    @extend_schema(
        operation_id="webhooks_list",
        summary="Your webhook endpoints",
        tags=["webhooks"],
        responses={200: WebhookEndpointSerializer(many=True), **problems()},
    )
    def get(self, request):
        return Response(WebhookEndpointSerializer(self.get_queryset(), many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        summary="Register a webhook endpoint",
        description=(
            "Events about the vouchers this key issued and the redemptions it made are posted to the "
            "URL, signed with the secret (HMAC-SHA256, see the `Webhook-Signature` header in the docs). "
            "The secret is in this response only."
        ),
        tags=["webhooks"],
        parameters=[idempotency_header(required=False)],
        request=WebhookEndpointRequestSerializer,
        responses={
            201: WebhookEndpointCreatedSerializer,
            **problems(
                post=True,
                _409=["idempotency_request_in_progress", "webhook_endpoint_exists"],
                _422=["idempotency_key_reused"],
            ),
        },
    )
    def post(self, request):
        return self.idempotent(request, self._register)

    def _register(self, idempotency_key: str | None) -> Response:
        data = WebhookEndpointRequestSerializer(data=self.request.data)
        data.is_valid(raise_exception=True)
        registered = webhook_endpoint_register(
            api_key=self.api_key, idempotency_key=idempotency_key, **data.validated_data
        )
        body = WebhookEndpointSerializer(registered.endpoint).data
        body["secret"] = registered.secret
        return Response(body, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailView(PartnerView):
    serializer_class = WebhookEndpointSerializer

    @extend_schema(
        operation_id="webhooks_destroy",
        summary="Remove a webhook endpoint",
        description="No event is delivered to it any more; its delivery log stays readable.",
        tags=["webhooks"],
        parameters=[ID],
        responses={204: None, **problems(_404=["not_found"])},
    )
    def delete(self, request, pk: int):
        webhook_endpoint_remove(api_key=self.api_key, endpoint_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookDeliveryListView(PartnerView):
    serializer_class = WebhookDeliverySerializer
    pagination_class = DeliveryPagination

    def get_queryset(self):
        endpoint = WebhookEndpoint.objects.filter(pk=self.kwargs["pk"], api_key=self.api_key).first()
        if endpoint is None:
            raise WebhookEndpointNotFound()
        return endpoint.deliveries.order_by("-created_at", "-pk")

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        summary="Delivery log of an endpoint",
        description="Newest first: each event, its status, attempts and the last answer of your server.",
        tags=["webhooks"],
        parameters=[ID],
        responses={200: WebhookDeliverySerializer(many=True), **problems(_404=["not_found"])},
    )
    def get(self, request, pk: int):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)
