import contextlib

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError
from members.admin.tools import (
    DealerScopedMixin,
    ReasonForm,
    require_permission,
    run_action,
)
from members.exceptions import InvalidPhone, MemberNotFound
from members.models import Dealer, Member
from members.phones import phone_normalise

from ..exceptions import InvalidVin
from ..identifiers import plate_search_key, vin_parse
from ..models import AuthorisedDriver, MileageReading, Ownership, Vehicle, VehicleModel, Visit
from ..selectors import vehicle_current_owner
from ..services import (
    Origin,
    local_start,
    vehicle_record_delivery,
    vehicle_transfer_ownership,
    vehicle_upsert,
    visit_record,
)
from .extensions import TimelineEntry, timeline_sources, transfer_voids


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


class VehicleAddForm(forms.Form):
    vin = forms.CharField(label=_("VIN"), max_length=64)
    plate = forms.CharField(label=_("licence plate"), max_length=40)
    model = forms.ModelChoiceField(label=_("model"), queryset=VehicleModel.objects.all())
    model_year = forms.IntegerField(label=_("model year"), required=False, min_value=1900, max_value=2100)
    delivery_date = forms.DateField(
        label=_("Delivery (invoice) date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    selling_dealer = forms.ModelChoiceField(
        label=_("selling dealer"), queryset=Dealer.objects.filter(is_active=True), required=False
    )


class VehicleEditForm(forms.Form):
    """What other systems send about a car, edited through the same upsert (and its change log)."""

    plate = VehicleAddForm.base_fields["plate"]
    model = VehicleAddForm.base_fields["model"]
    model_year = VehicleAddForm.base_fields["model_year"]
    selling_dealer = VehicleAddForm.base_fields["selling_dealer"]


class VisitForm(forms.Form):
    """A workshop visit (repair order) typed in the back office, as a DMS would send it."""

    dealer = forms.ModelChoiceField(label=_("dealer"), queryset=Dealer.objects.filter(is_active=True))
    visited_on = forms.DateField(label=_("Visit date"), widget=forms.DateInput(attrs={"type": "date"}))
    repair_order = forms.CharField(label=_("Repair order number"), max_length=40)
    kind = forms.ChoiceField(label=_("kind"), choices=Visit.Kind.choices, initial=Visit.Kind.MAINTENANCE)
    mileage_km = forms.IntegerField(label=_("Mileage (km)"), required=False, min_value=0, max_value=2_000_000)
    odometer_replaced = forms.BooleanField(
        label=_("The odometer was replaced (a lower reading is then accepted)"), required=False
    )


class DeliveryForm(forms.Form):
    delivery_date = forms.DateField(
        label=_("Delivery (invoice) date"), widget=forms.DateInput(attrs={"type": "date"})
    )


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
    # Identity, what other systems send, ownership and service history change only through the
    # services (the edit, delivery, visit and transfer pages).
    readonly_fields = (
        "vin",
        "vin_check_digit_ok",
        "plate",
        "model",
        "selling_dealer",
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
        return request.user.has_perm("vehicles.add_vehicle")

    def add_view(self, request, form_url="", extra_context=None):
        """Adding goes through vehicle_upsert (the change log, the delivery event), not a model form."""
        require_permission(request, "vehicles.add_vehicle")
        form = VehicleAddForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                vehicle, _changed = vehicle_upsert(
                    vin=data["vin"],
                    plate=data["plate"],
                    model=data["model"],
                    model_year=data["model_year"],
                    delivery_date=data["delivery_date"],
                    selling_dealer=data["selling_dealer"],
                    origin=Origin(source=Visit.Source.BACK_OFFICE, label="admin", actor=request.user),
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.log_addition(request, vehicle, gettext("Vehicle added in the back office."))
                self.message_user(request, gettext("Vehicle %(plate)s saved.") % {"plate": vehicle.plate})
                return redirect(reverse("admin:vehicles_vehicle_change", args=[vehicle.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": gettext("Add a vehicle"),
            "form": form,
        }
        return TemplateResponse(request, "admin/vehicles/vehicle/add.html", context)

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
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/transfer/", wrap(self.transfer_view), name="vehicles_vehicle_transfer"),
            path("<path:object_id>/delivery/", wrap(self.delivery_view), name="vehicles_vehicle_delivery"),
            path("<path:object_id>/timeline/", wrap(self.timeline_view), name="vehicles_vehicle_timeline"),
            path("<path:object_id>/edit/", wrap(self.edit_view), name="vehicles_vehicle_edit"),
            path("<path:object_id>/visit/", wrap(self.visit_view), name="vehicles_vehicle_visit"),
            *super().get_urls(),
        ]

    def delivery_view(self, request, object_id):
        require_permission(request, "vehicles.change_vehicle")
        vehicle = self.get_object(request, object_id)
        if vehicle is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = DeliveryForm(request.POST or None, initial={"delivery_date": vehicle.delivery_date})

        def perform(data):
            vehicle_record_delivery(
                vehicle=vehicle,
                delivery_date=data["delivery_date"],
                origin=Origin(source=Visit.Source.BACK_OFFICE, label="admin", actor=request.user),
            )
            return gettext("Delivery date of %(plate)s recorded.") % {"plate": vehicle.plate}

        return run_action(
            self,
            request,
            vehicle,
            form=form,
            title=gettext("Record delivery"),
            perform=perform,
            log_message=lambda d: gettext("Delivery date recorded: %(date)s") % {"date": d["delivery_date"]},
            extra_context={
                "summary": [(_("Vehicle"), vehicle), (_("VIN"), vehicle.vin)],
                "note": _(
                    "The first delivery date issues what definitions triggered by delivery ask for, "
                    "once per vehicle."
                ),
            },
        )

    def edit_view(self, request, object_id):
        """Plate, model, model year and selling dealer change through vehicle_upsert: each change is
        kept (who, when, old → new) as for a DMS file or the API."""
        require_permission(request, "vehicles.change_vehicle")
        vehicle = self.get_object(request, object_id)
        if vehicle is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        initial = {
            "plate": vehicle.plate,
            "model": vehicle.model_id,
            "model_year": vehicle.model_year,
            "selling_dealer": vehicle.selling_dealer_id,
        }
        form = VehicleEditForm(request.POST or None, initial=initial)

        def perform(data):
            saved, changed = vehicle_upsert(
                vin=vehicle.vin,
                plate=data["plate"],
                model=data["model"],
                model_year=data["model_year"],
                selling_dealer=data["selling_dealer"],
                origin=Origin(source=Visit.Source.BACK_OFFICE, label="admin", actor=request.user),
            )
            if not changed:
                return gettext("Nothing changed.")
            return gettext("Vehicle %(plate)s saved.") % {"plate": saved.plate}

        return run_action(
            self,
            request,
            vehicle,
            form=form,
            title=gettext("Edit vehicle data"),
            perform=perform,
            log_message=lambda d: gettext("Vehicle data edited in the back office."),
            extra_context={"summary": [(_("Vehicle"), vehicle), (_("VIN"), vehicle.vin)]},
        )

    def visit_view(self, request, object_id):
        """Record a workshop visit (repair order) as a DMS would: keyed on dealer + number."""
        require_permission(request, "vehicles.change_vehicle")
        vehicle = self.get_object(request, object_id)
        if vehicle is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = VisitForm(request.POST or None)

        def perform(data):
            visit_record(
                vehicle=vehicle,
                dealer=data["dealer"],
                visited_on=data["visited_on"],
                repair_order=data["repair_order"],
                kind=data["kind"],
                mileage_km=data["mileage_km"],
                odometer_replaced=data["odometer_replaced"],
                origin=Origin(source=Visit.Source.BACK_OFFICE, label="admin", actor=request.user),
            )
            return gettext("Visit %(number)s of %(plate)s recorded.") % {
                "number": data["repair_order"],
                "plate": vehicle.plate,
            }

        return run_action(
            self,
            request,
            vehicle,
            form=form,
            title=gettext("Record a workshop visit"),
            perform=perform,
            log_message=lambda d: (
                gettext("Workshop visit recorded: %(dealer)s %(number)s")
                % {"dealer": d["dealer"].code, "number": d["repair_order"]}
            ),
            extra_context={
                "summary": [
                    (_("Vehicle"), vehicle),
                    (_("VIN"), vehicle.vin),
                    (_("Last mileage (km)"), vehicle.last_mileage_km),
                ],
                "note": _(
                    "The same dealer and repair-order number again updates that visit; "
                    "a mileage below the last reading is refused unless the odometer was replaced."
                ),
            },
        )

    def timeline_view(self, request, object_id):
        """One history of the car: ownerships, delivery, visits, mileage, vouchers and redemptions."""
        vehicle = self.get_object(request, object_id)
        if vehicle is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        entries = [entry for source in timeline_sources for entry in source(vehicle)]
        entries.sort(key=lambda e: e.at, reverse=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": vehicle,
            "title": gettext("Timeline of %(plate)s") % {"plate": vehicle.plate},
            "entries": entries,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/vehicles/vehicle/timeline.html", context)

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
                    (
                        _("Vouchers that will be voided"),
                        "; ".join(line for hook in transfer_voids for line in hook(vehicle)) or _("None"),
                    ),
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


def _own_timeline(vehicle: Vehicle) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(o.started_at, gettext("Owner from"), str(o.member))
        for o in Ownership.objects.filter(vehicle=vehicle).select_related("member")
    ]
    if vehicle.delivery_date:
        entries.append(TimelineEntry(local_start(vehicle.delivery_date), gettext("Delivered"), ""))
    entries += [
        TimelineEntry(
            local_start(v.visited_on),
            gettext("Workshop visit"),
            f"{v.get_kind_display()} · {v.dealer.name} · {v.repair_order}",
        )
        for v in Visit.objects.filter(vehicle=vehicle).select_related("dealer")
    ]
    entries += [
        TimelineEntry(r.recorded_at, gettext("Mileage reading"), f"{r.km:,} km")
        for r in MileageReading.objects.filter(vehicle=vehicle)
    ]
    return entries


timeline_sources.append(_own_timeline)
