import contextlib

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.admin.tools import DealerScopedMixin, ReasonForm, require_permission, run_action
from members.exceptions import InvalidPhone, MemberNotFound
from members.models import Member
from members.phones import phone_normalise

from ..exceptions import InvalidVin
from ..identifiers import plate_search_key, vin_parse
from ..models import AuthorisedDriver, Ownership, Vehicle, VehicleModel
from ..selectors import vehicle_current_owner
from ..services import vehicle_transfer_ownership


class OwnershipInline(admin.TabularInline):
    model = Ownership
    extra = 0
    can_delete = False
    fields = ("member", "started_at", "ended_at", "is_first_owner")
    readonly_fields = fields
    ordering = ("-started_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        # Each row names its member and vehicle ("member — plate (model)"): joined, not one query
        # per past owner or driver.
        return super().get_queryset(request).select_related("member", "vehicle__model")


class AuthorisedDriverInline(OwnershipInline):
    model = AuthorisedDriver
    fields = ("member", "started_at", "ended_at")
    readonly_fields = fields


class TransferOwnershipForm(ReasonForm):
    new_owner_phone = forms.CharField(
        label=_("New owner's mobile number"),
        max_length=32,
        help_text=_("The member must already be registered."),
    )
    field_order = ["new_owner_phone", "reason"]

    def clean_new_owner_phone(self) -> Member:
        try:
            phone = phone_normalise(self.cleaned_data["new_owner_phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message) from exc
        member = Member.objects.filter(phone=phone).first()
        if member is None:
            raise forms.ValidationError(MemberNotFound().message)
        return member


class VehicleForm(forms.ModelForm):
    class Meta:
        model = Vehicle
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields shown

    def clean_registered_owner_phone(self) -> str:
        raw = self.cleaned_data["registered_owner_phone"].strip()
        if not raw:
            return ""
        try:
            return phone_normalise(raw)
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Vehicle)
class VehicleAdmin(DealerScopedMixin, admin.ModelAdmin):
    dealer_scope_field = "selling_dealer"  # a dealer manager sees the cars their dealer sold
    form = VehicleForm
    list_display = ("plate", "vin", "model", "selling_dealer", "delivery_date", "last_visit_at")
    list_filter = ("model", "selling_dealer", "vin_check_digit_ok")
    list_select_related = ("model", "selling_dealer")
    search_fields = ("plate", "vin")
    search_help_text = _("Licence plate in any spelling (abc 1234, ABC–1234) or VIN.")
    show_full_result_count = False
    fields = (
        "vin",
        "vin_check_digit_ok",
        "plate",
        "model",
        "colour",
        "selling_dealer",
        "registered_owner_phone",
        "delivery_date",
        "current_owner",
        "last_mileage_km",
        "last_mileage_at",
        "last_visit_at",
        "created_at",
    )
    # Identity, ownership and service history change only through the services.
    readonly_fields = (
        "vin",
        "vin_check_digit_ok",
        "plate",
        "delivery_date",
        "current_owner",
        "last_mileage_km",
        "last_mileage_at",
        "last_visit_at",
        "created_at",
    )
    inlines = [OwnershipInline, AuthorisedDriverInline]
    change_form_template = "admin/vehicles/vehicle/change_form.html"

    def has_add_permission(self, request) -> bool:
        return False  # vehicles are registered by the sales systems through vehicle_register

    def get_search_results(self, request, queryset, search_term):
        """Plates match on their hyphen-free key (any case, dash or width); VINs on their 17 characters."""
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(pk__in=[])
        with contextlib.suppress(InvalidVin):
            condition |= Q(vin=vin_parse(term).vin)
        key = plate_search_key(term)
        if key is not None:
            condition |= Q(plate_key=key)
        return queryset.filter(condition), False

    @admin.display(description=_("current owner"))
    def current_owner(self, obj: Vehicle):
        owner = vehicle_current_owner(obj)
        return owner or "—"

    def get_urls(self):
        view = self.admin_site.admin_view(self.transfer_view)
        return [
            path("<path:object_id>/transfer/", view, name="vehicles_vehicle_transfer"),
            *super().get_urls(),
        ]

    def transfer_view(self, request, object_id):
        require_permission(request, "vehicles.change_vehicle")
        vehicle = self.get_object(request, object_id)
        if vehicle is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = TransferOwnershipForm(request.POST or None)

        def perform(data):
            vehicle_transfer_ownership(
                vehicle=vehicle, new_owner=data["new_owner_phone"], actor=request.user, reason=data["reason"]
            )
            return gettext("Ownership of %(plate)s transferred to %(member)s.") % {
                "plate": vehicle.plate,
                "member": data["new_owner_phone"],
            }

        owner = vehicle_current_owner(vehicle)
        return run_action(
            self,
            request,
            vehicle,
            form=form,
            title=gettext("Transfer ownership"),
            perform=perform,
            log_message=lambda d: (
                gettext("Ownership transferred to member #%(id)s. Reason: %(reason)s")
                % {"id": d["new_owner_phone"].pk, "reason": d["reason"]}
            ),
            extra_context={
                "summary": [
                    (_("Vehicle"), vehicle),
                    (_("VIN"), vehicle.vin),
                    (_("Current owner"), owner or "—"),
                ],
                "note": _(
                    "First-owner benefits of the previous owner are voided; "
                    "vouchers held by the car stay with it."
                ),
            },
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        extra_context["can_transfer"] = request.user.has_perm("vehicles.change_vehicle")
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(VehicleModel)
class VehicleModelAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "service_interval_km", "service_interval_months")
    search_fields = ("code", "name")
