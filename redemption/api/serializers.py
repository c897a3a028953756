"""What the API accepts and answers. Output serializers also shape the webhook payloads."""

import copy

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from redemption.api.answer_plans import plan_of, represent
from redemption.models import Redemption
from redemption.partner_models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from redemption.services import MAX_MILEAGE_KM
from vehicles.mileage import REPLACEMENT_REASON_MAX_LENGTH
from vouchers.eligibility import Reason, voucher_ineligibility
from vouchers.models import Voucher, VoucherDefinition
from vouchers.selectors import voucher_labels
from vouchers.services.issuance import MAX_QUANTITY


class Lean(serializers.Serializer):
    """A serializer on a hot path: each use gets shallow copies of the declared fields instead of
    DRF's deep copies. DRF builds every field (and every nested serializer's fields) anew for each
    instance; these fields keep no state of their own while they validate or represent (their
    validators and messages are made once, when declared, and only read), so a copy to bind is
    enough. Fields holding a child (lists) are still deep-copied: their child is bound to them and
    would otherwise be shared."""

    def get_fields(self):
        return {
            name: copy.deepcopy(field) if hasattr(field, "child") else _shallow_copy(field)
            for name, field in self._declared_fields.items()
        }


def _shallow_copy(field):
    """What `copy.copy` makes of a field (a new instance holding the same attributes), without its
    trip through `__reduce_ex__`: a fifth of an answer's CPU went there."""
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


# --- input ----------------------------------------------------------------------------------------


class VehicleRefSerializer(Lean):
    vin = serializers.CharField(required=False, max_length=64, help_text=_("17 characters"))
    plate = serializers.CharField(required=False, max_length=40, help_text=_("e.g. ABC-1234"))

    def validate(self, attrs):
        if not attrs.get("vin") and not attrs.get("plate"):
            raise serializers.ValidationError(_("Give the vehicle's vin or plate."), code="required")
        return attrs


class MemberRefSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text=_("mobile number, e.g. 0912-345-678"))


class IssueRequestSerializer(serializers.Serializer):
    definition = serializers.CharField(max_length=40, help_text=_("the voucher definition's internal code"))
    vehicle = VehicleRefSerializer(required=False)
    member = MemberRefSerializer(required=False)
    quantity = serializers.IntegerField(required=False, default=1, min_value=1, max_value=MAX_QUANTITY)
    external_ref = serializers.CharField(required=False, default="", allow_blank=True, max_length=80)

    def validate(self, attrs):
        if not attrs.get("vehicle") and not attrs.get("member"):
            raise serializers.ValidationError(_("Give a vehicle, a member or both."), code="required")
        return attrs


class RedeemRequestSerializer(Lean):
    dealer = serializers.CharField(max_length=20, help_text=_("the dealer's code"))
    vin = serializers.CharField(required=False, max_length=64, help_text=_("the vehicle presented"))
    plate = serializers.CharField(required=False, max_length=40, help_text=_("the vehicle presented"))
    vehicle = VehicleRefSerializer(required=False, help_text=_("alternative to top-level vin / plate"))
    mileage_km = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_MILEAGE_KM
    )
    odometer_replaced = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "the odometer was replaced or reset: a mileage below the vehicle's last reading is taken"
        ),
    )
    odometer_replacement_reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=REPLACEMENT_REASON_MAX_LENGTH,
        help_text=_("why the odometer was replaced; required with odometer_replaced"),
    )
    work_order = serializers.CharField(required=False, default="", allow_blank=True, max_length=40)

    def validate(self, attrs):
        nested = attrs.pop("vehicle", None) or {}
        top = {k: attrs.pop(k) for k in ("vin", "plate") if attrs.get(k)}
        if nested and top:
            raise serializers.ValidationError(
                _("Give the vehicle either as vin / plate or as a vehicle object, not both."), code="invalid"
            )
        vehicle = top or nested
        if not vehicle:
            raise serializers.ValidationError(
                _("Give the vin or plate of the vehicle presented."), code="required"
            )
        attrs["vehicle"] = vehicle
        return attrs


class ReverseRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("why the redemption is reversed"))


class WebhookEndpointRequestSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        required=False,
        default=list,
        max_length=len(WebhookEvent.values),
        help_text=_("empty or absent: every event"),
    )
    secret = serializers.CharField(
        required=False, min_length=32, max_length=128, help_text=_("absent: the platform generates one")
    )
    description = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


# --- output ---------------------------------------------------------------------------------------


class Answer(Lean):
    """An answer's serializer (`Lean`: a third of a redeem's answer went to copying its fields),
    represented from its class's plan (`answer_plans`: binding and asking each field cost more
    than the values) where every field of it can be planned."""

    def to_representation(self, instance):
        plan = plan_of(type(self), Answer)
        if plan is None:
            return super().to_representation(instance)
        return represent(plan, self, instance, self.context)


class DefinitionSummarySerializer(Answer):
    code = serializers.CharField()
    name = serializers.CharField()
    category = serializers.ChoiceField(choices=VoucherDefinition.Category.choices)
    kind = serializers.ChoiceField(choices=VoucherDefinition.Kind.choices)
    holder_type = serializers.ChoiceField(choices=VoucherDefinition.HolderType.choices)


class VehicleSummarySerializer(Answer):
    vin = serializers.CharField()
    plate = serializers.CharField()


class MemberMaskedSerializer(Answer):
    phone = serializers.CharField(source="phone_masked", help_text=_("masked, e.g. 0912-***-678"))
    name = serializers.CharField(source="name_masked", help_text=_("masked, e.g. 王○明"))


class HolderSerializer(Answer):
    vehicle = VehicleSummarySerializer(allow_null=True)
    member = MemberMaskedSerializer(allow_null=True)


class VoucherSerializer(Answer):
    code = serializers.CharField(help_text=_("canonical, 16 characters"))
    code_display = serializers.CharField(help_text=_("grouped for people, e.g. K7QF-9M2D-XR4T-8ZB3"))
    definition = DefinitionSummarySerializer()
    status = serializers.ChoiceField(choices=Voucher.Status.choices)
    uses_total = serializers.IntegerField()
    uses_left = serializers.IntegerField()
    valid_from = serializers.DateTimeField(allow_null=True)
    valid_until = serializers.DateTimeField(allow_null=True)
    issued_at = serializers.DateTimeField()
    activated_at = serializers.DateTimeField(allow_null=True)
    external_ref = serializers.CharField(allow_blank=True)
    holder = serializers.SerializerMethodField()
    usable_now = serializers.SerializerMethodField()
    unusable_reasons = serializers.SerializerMethodField()
    expiring_soon = serializers.SerializerMethodField()

    def _now(self):
        if "now" not in self.context:
            self.context["now"] = timezone.now()
        return self.context["now"]

    def _reasons(self, voucher: Voucher) -> list[str]:
        # Usable now by its holder at some dealer: the vehicle and dealer rules apply at redemption.
        return [r.value for r in voucher_ineligibility(voucher, vehicle=None, dealer=None, now=self._now())]

    @extend_schema_field(HolderSerializer)
    def get_holder(self, voucher: Voucher) -> dict:
        return HolderSerializer({"vehicle": voucher.vehicle, "member": voucher.member}).data

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_usable_now(self, voucher: Voucher) -> bool:
        return not self._reasons(voucher)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Reason.values)))
    def get_unusable_reasons(self, voucher: Voucher) -> list[str]:
        return self._reasons(voucher)

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_expiring_soon(self, voucher: Voucher) -> bool:
        return voucher_labels(voucher, now=self._now()).expiring_soon


class RedemptionSerializer(Answer):
    id = serializers.IntegerField()
    receipt_number = serializers.CharField()
    status = serializers.ChoiceField(choices=Redemption.Status.choices)
    channel = serializers.ChoiceField(choices=Redemption.Channel.choices)
    voucher = serializers.CharField(source="voucher.code", help_text=_("the voucher's code"))
    dealer = serializers.CharField(source="dealer.code", help_text=_("the dealer's code"))
    vehicle = VehicleSummarySerializer()
    mileage_km = serializers.IntegerField(allow_null=True)
    work_order = serializers.CharField(allow_blank=True)
    started_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    reversed_at = serializers.DateTimeField(allow_null=True)
    reversal_reason = serializers.CharField(allow_blank=True)


class IssueResponseSerializer(serializers.Serializer):
    vouchers = VoucherSerializer(many=True)


class RedemptionResultSerializer(Answer):
    redemption = RedemptionSerializer()
    voucher = VoucherSerializer()


class WebhookEndpointSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookEvent.choices))

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "description", "is_active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text=_("the signing secret; store it, it is shown only now"))

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "event_id",
            "event",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]


# --- errors (documentation of the problem+json body) ----------------------------------------------


class ProblemErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    pointer = serializers.CharField(
        required=False, help_text=_("JSON pointer into the body, e.g. #/vehicle/vin")
    )
    parameter = serializers.CharField(required=False, help_text=_("path or query parameter"))
    header = serializers.CharField(required=False)


class ProblemSerializer(serializers.Serializer):
    type = serializers.URLField(help_text=_("URI of the problem type (GET it for its description)"))
    title = serializers.CharField(help_text=_("short summary of the code, in the request's language"))
    status = serializers.IntegerField()
    detail = serializers.CharField(help_text=_("what went wrong this time, in the request's language"))
    code = serializers.CharField(help_text=_("stable machine-readable code"))
    instance = serializers.CharField(required=False, help_text=_("the request path"))
    errors = ProblemErrorSerializer(many=True, required=False)
    reasons = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=_("every reason a voucher is not usable")
    )


class ProblemTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.IntegerField()
    title = serializers.CharField()
