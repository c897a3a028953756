import uuid

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.actors import Actor
from members.admin.tools import (
    DealerScopedMixin,
    FastListMixin,
    ReasonForm,
    require_permission,
    run_action,
    scoped_dealer_id,
)
from members.models import Dealer
from vehicles.models import Vehicle
from vouchers.admin.extensions import ObjectTool, register_voucher_tool
from vouchers.admin.vouchers import VoucherAdmin
from vouchers.models import Voucher

from ..models import Redemption
from ..services import MAX_MILEAGE_KM, redemption_redeem, redemption_reverse


class RedeemForDealerForm(ReasonForm):
    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=Dealer.objects.filter(is_active=True))
    vehicle = forms.ModelChoiceField(
        label=_("Vehicle"), queryset=Vehicle.objects.none(), help_text=_("The car the service was done on.")
    )
    mileage_km = forms.IntegerField(
        label=_("Mileage (km)"), required=False, min_value=0, max_value=MAX_MILEAGE_KM
    )
    work_order = forms.CharField(label=_("Work order"), max_length=40, required=False)
    # One key per form shown: a double submit replays the first redemption instead of using twice.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    field_order = ["dealer", "vehicle", "mileage_km", "work_order", "reason"]

    def __init__(self, *args, voucher: Voucher, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["idempotency_key"].initial = f"admin:{uuid.uuid4()}"
        if voucher.vehicle_id is not None:
            vehicles = Vehicle.objects.filter(pk=voucher.vehicle_id)
        elif voucher.member_id is not None:
            from vehicles.selectors import vehicles_of_member

            vehicles = vehicles_of_member(voucher.member)
        else:
            vehicles = Vehicle.objects.none()
        self.fields["vehicle"].queryset = vehicles.select_related("model")
        if vehicles.count() == 1:
            self.fields["vehicle"].initial = vehicles.first().pk


class RedemptionAdmin(DealerScopedMixin, FastListMixin, admin.ModelAdmin):
    list_display = (
        "receipt_number",
        "started_at",
        "status",
        "voucher",
        "vehicle",
        "dealer",
        "advisor",
        "channel",
        "mileage_km",
    )
    # Indexed filters only: (status, started_at) and (dealer, started_at); newest first by key.
    list_filter = ("status", "dealer")
    ordering = ("-pk",)
    list_select_related = ("voucher", "vehicle", "vehicle__model", "dealer", "advisor")
    search_fields = ("voucher__code", "vehicle__plate_key", "vehicle__vin", "work_order")
    fields = (
        "receipt_number",
        "voucher",
        "vehicle",
        "dealer",
        "advisor",
        "channel",
        "actor_label",
        "api_key",
        "status",
        "mileage_km",
        "work_order",
        "started_at",
        "completed_at",
        "cancelled_at",
        "reversed_at",
        "reversed_by",
        "reversal_reason",
    )
    readonly_fields = fields
    change_form_template = "admin/redemption/redemption/change_form.html"

    @admin.display(description=_("receipt number"), ordering="pk")
    def receipt_number(self, obj):
        return obj.receipt_number

    def has_add_permission(self, request) -> bool:
        return False  # redemptions are made at the counter, by partners, or with "Redeem for a dealer"

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_search_results(self, request, queryset, search_term):
        from vouchers.admin.search import voucher_search_condition

        condition = voucher_search_condition(search_term, prefix="voucher__")
        if condition is None:
            return queryset, False
        return queryset.filter(condition), False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("redeem/<int:voucher_id>/", wrap(self.redeem_view), name="redemption_redemption_redeem"),
            path("<path:object_id>/reverse/", wrap(self.reverse_view), name="redemption_redemption_reverse"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_reverse": request.user.has_perm("redemption.reverse_redemption"),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def reverse_view(self, request, object_id):
        require_permission(request, "redemption.reverse_redemption")
        redemption = self.get_object(request, object_id)  # scoped: a manager finds only their dealer's
        if redemption is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        dealer_id = scoped_dealer_id(request)

        def perform(data):
            redemption_reverse(
                redemption=redemption,
                reason=data["reason"],
                actor=Actor.operations(request.user),
                dealer=redemption.dealer if dealer_id is not None else None,
                # Operations may reverse after the counter's window; dealer managers may not.
                enforce_window=dealer_id is not None,
            )
            return gettext("Redemption %(receipt)s reversed; the use is back on the voucher.") % {
                "receipt": redemption.receipt_number
            }

        return run_action(
            self,
            request,
            redemption,
            form=ReasonForm(request.POST or None),
            title=gettext("Reverse redemption %(receipt)s") % {"receipt": redemption.receipt_number},
            perform=perform,
            log_message=lambda d: gettext("Reversed. Reason: %(reason)s") % {"reason": d["reason"]},
            extra_context={
                "submit_label": gettext("Reverse"),
                "summary": [
                    (_("Voucher"), redemption.voucher),
                    (_("Vehicle"), redemption.vehicle),
                    (_("Dealer"), redemption.dealer),
                    (
                        _("Completed"),
                        timezone.localtime(redemption.completed_at) if redemption.completed_at else "—",
                    ),
                    (_("Status"), redemption.get_status_display()),
                ],
            },
        )

    def redeem_view(self, request, voucher_id):
        """Operations redeem one use on a dealer's behalf (e.g. the counter was offline)."""
        require_permission(request, "redemption.add_redemption")
        if scoped_dealer_id(request) is not None:
            raise PermissionDenied
        voucher = (
            Voucher.objects.select_related("definition", "vehicle", "member").filter(pk=voucher_id).first()
        )
        if voucher is None:
            from django.http import Http404

            raise Http404
        voucher_admin = VoucherAdmin(Voucher, self.admin_site)
        form = RedeemForDealerForm(request.POST or None, voucher=voucher)

        def perform(data):
            redemption = redemption_redeem(
                voucher=voucher,
                vehicle=data["vehicle"],
                dealer=data["dealer"],
                idempotency_key=data["idempotency_key"],
                advisor=request.user,
                actor=Actor.operations(request.user),
                channel=Redemption.Channel.ADMIN,
                mileage_km=data["mileage_km"],
                work_order=data["work_order"] or "",
                reason=data["reason"],
            )
            return gettext("Redeemed for %(dealer)s: receipt %(receipt)s.") % {
                "dealer": data["dealer"].name,
                "receipt": redemption.receipt_number,
            }

        return run_action(
            voucher_admin,
            request,
            voucher,
            form=form,
            title=gettext("Redeem for a dealer — %(code)s") % {"code": voucher.code_display},
            perform=perform,
            log_message=lambda d: (
                gettext("Redeemed for dealer %(dealer)s. Reason: %(reason)s")
                % {"dealer": d["dealer"].code, "reason": d["reason"]}
            ),
            extra_context={
                "submit_label": gettext("Redeem one use"),
                "summary": [
                    (_("Definition"), voucher.definition),
                    (_("Status"), voucher.get_status_display()),
                    (_("Uses left"), f"{voucher.uses_left} / {voucher.uses_total}"),
                ],
            },
        )


admin.site.register(Redemption, RedemptionAdmin)

register_voucher_tool(
    ObjectTool(
        label=_("Redeem for a dealer"),
        url=lambda voucher: reverse("admin:redemption_redemption_redeem", args=[voucher.pk]),
        permission="redemption.add_redemption",
        show=lambda voucher: voucher.status == Voucher.Status.ACTIVE,
    )
)
