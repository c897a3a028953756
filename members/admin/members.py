from django import forms
from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..exceptions import InvalidPhone
from ..forms import DealerForm
from ..models import ConsentChange, Dealer, DealerStaff, Member
from ..phones import phone_normalise
from ..services import erasure_request_create
from .tools import (
    DealerScopedMixin,
    FastListMixin,
    ReasonForm,
    change_url,
    require_permission,
    run_action,
    scoped_dealer_id,
)


class ConsentChangeInline(admin.TabularInline):
    model = ConsentChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "kind", "old_value", "new_value", "source")
    readonly_fields = fields
    ordering = ("-changed_at",)

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = "__all__"  # noqa: DJ007 - the ModelAdmin chooses the fields shown

    def clean_phone(self) -> str:
        """Typed in any common spelling, stored in E.164 like everywhere else."""
        try:
            return phone_normalise(self.cleaned_data["phone"])
        except InvalidPhone as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(Member)
class MemberAdmin(FastListMixin, admin.ModelAdmin):
    form = MemberForm
    list_display = ("name", "phone", "tier", "identity_verified", "consent_marketing", "created_at")
    list_filter = ("tier", "identity_verified", "consent_service", "consent_marketing", "preferred_channel")
    search_fields = ("name", "email")
    search_help_text = _(
        "Mobile number in any common format (0912-345-678, +886 912 345 678), name or e-mail."
    )
    # Consents change only through member_update_preferences (which records each change);
    # a verified identity only through the verification process.
    readonly_fields = (
        "created_at",
        "consent_service",
        "consent_marketing",
        "preferred_channel",
        "language",
        "identity_verified",
        "erased_at",
    )
    inlines = [ConsentChangeInline]

    def has_change_permission(self, request, obj=None) -> bool:
        # An erased member stays a pseudonym: typing a name or number back in would undo the erasure.
        if obj is not None and obj.erased_at is not None:
            return False
        return super().has_change_permission(request, obj)

    change_form_template = "admin/members/member/change_form.html"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/erasure-request/",
                wrap(self.erasure_request_view),
                name="members_member_erasure_request",
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_record_erasure": request.user.has_perm("members.carry_out_erasurerequest"),
        }
        return super().changeform_view(request, object_id, form_url, extra_context)

    def erasure_request_view(self, request, object_id):
        """An owner who asks by phone or letter: the request joins the same queue as the portal's."""
        require_permission(request, "members.carry_out_erasurerequest")
        member = self.get_object(request, object_id)
        if member is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        label = gettext("Record an erasure request")
        recorded = {}

        def perform(data):
            erasure, created = erasure_request_create(member=member, source="back office")
            recorded["request"] = erasure
            if not created:
                return gettext("This member already has a pending erasure request.")
            return gettext("Erasure request recorded; it is in the erasure request queue.")

        response = run_action(
            self,
            request,
            member,
            form=ReasonForm(request.POST or None),
            title=label,
            perform=perform,
            log_message=lambda d: (
                gettext("%(action)s. Reason: %(reason)s") % {"action": label, "reason": d["reason"]}
            ),
            extra_context={"submit_label": label, "summary": [(_("Member"), member)]},
        )
        if "request" in recorded:
            response["Location"] = change_url(recorded["request"])
        return response

    def get_search_results(self, request, queryset, search_term):
        """A phone number is matched exactly on its E.164 form, whatever the operator typed."""
        term = search_term.strip()
        if term and sum(c.isdigit() for c in term) >= 8:
            try:
                return queryset.filter(phone=phone_normalise(term)), False
            except InvalidPhone:
                pass
        return super().get_search_results(request, queryset, search_term)


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    form = DealerForm  # the code is brought to form (TPE01) and checked before it is saved
    list_display = ("code", "name", "city", "phone", "is_active")
    list_filter = ("is_active", "city")
    search_fields = ("code", "name", "city")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        dealer_id = scoped_dealer_id(request)
        return queryset if dealer_id is None else queryset.filter(pk=dealer_id)


@admin.register(DealerStaff)
class DealerStaffAdmin(DealerScopedMixin, admin.ModelAdmin):
    list_display = ("__str__", "role", "dealer", "display_name")
    list_filter = ("role", "dealer")
    list_select_related = ("user", "dealer")
    search_fields = ("user__username", "display_name", "dealer__code")
    raw_id_fields = ("user",)
