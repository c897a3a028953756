"""Request and response bodies of the vehicle data endpoints (vehicles, deliveries, owners, visits)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from redemption.services import MAX_MILEAGE_KM
from vehicles.models import Vehicle, VehicleAlert, Visit


class VehiclePutSerializer(serializers.Serializer):
    plate = serializers.CharField(max_length=40)
    model = serializers.CharField(max_length=80, help_text=_("the model's code or name in the model list"))
    model_year = serializers.IntegerField(required=False, allow_null=True, min_value=1900, max_value=2100)
    delivery_date = serializers.DateField(required=False, allow_null=True)
    dealer = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text=_("the selling dealer's code")
    )


class VehicleDataSerializer(serializers.ModelSerializer):
    model = serializers.CharField(source="model.code")
    selling_dealer = serializers.CharField(source="selling_dealer.code", allow_null=True, default=None)

    class Meta:
        model = Vehicle
        fields = (
            "vin",
            "plate",
            "model",
            "model_year",
            "delivery_date",
            "selling_dealer",
            "last_mileage_km",
            "last_visit_at",
        )


class DeliverySerializer(serializers.Serializer):
    delivery_date = serializers.DateField()


class OwnershipSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, help_text=_("the new owner's mobile number"))
    name = serializers.CharField(required=False, default="", allow_blank=True, max_length=80)
    email = serializers.EmailField(required=False, default="", allow_blank=True)
    birthday = serializers.DateField(required=False, allow_null=True, default=None)
    since = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=_("default: today")
    )


class OwnershipResultSerializer(serializers.Serializer):
    vin = serializers.CharField()
    owner_since = serializers.DateField()
    changed = serializers.BooleanField()


class VisitRequestSerializer(serializers.Serializer):
    vin = serializers.CharField(max_length=64)
    dealer = serializers.CharField(max_length=20, help_text=_("the dealer's code"))
    date = serializers.DateField()
    repair_order = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=Visit.Kind.choices, required=False, default=Visit.Kind.OTHER)
    mileage_km = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_MILEAGE_KM
    )
    odometer_replaced = serializers.BooleanField(required=False, default=False)

    def validate_repair_order(self, value: str) -> str:
        if not value.strip():
            raise serializers.ValidationError(_("This field may not be blank."), code="blank")
        return value.strip()


class VisitSerializer(serializers.ModelSerializer):
    vin = serializers.CharField(source="vehicle.vin")
    dealer = serializers.CharField(source="dealer.code")
    date = serializers.DateField(source="visited_on")

    class Meta:
        model = Visit
        fields = ("vin", "dealer", "date", "repair_order", "kind", "mileage_km", "odometer_replaced")


class AlertRequestSerializer(serializers.Serializer):
    alert_id = serializers.CharField(
        max_length=100, help_text=_("the sender's own id of this alert: sending it again changes nothing")
    )
    kind = serializers.ChoiceField(choices=VehicleAlert.Kind.choices)
    severity = serializers.ChoiceField(choices=VehicleAlert.Severity.choices)
    raised_at = serializers.DateTimeField(help_text=_("when the car raised it (ISO 8601 with a time zone)"))
    message = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=300, help_text=_("shown to the owner")
    )

    def validate_alert_id(self, value: str) -> str:
        value = value.strip()
        if not value or not value.isprintable():
            raise serializers.ValidationError(_("Use 1-100 printable characters."), code="invalid")
        return value


class AlertSerializer(serializers.ModelSerializer):
    vin = serializers.CharField(source="vehicle.vin")
    alert_id = serializers.CharField(source="sender_alert_id")
    closed_by = serializers.ChoiceField(choices=VehicleAlert.ClosedBy.choices, allow_null=True)

    class Meta:
        model = VehicleAlert
        fields = (
            "alert_id",
            "vin",
            "kind",
            "severity",
            "message",
            "raised_at",
            "received_at",
            "status",
            "closed_at",
            "closed_by",
        )

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["closed_by"] = data["closed_by"] or None
        return data
