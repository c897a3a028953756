"""Back office: the programme's settings, earn rules, tiers; members' points (history, manual
adjustments with a reason, audited) and tier history. Ledger rows are written only by services."""

from django import forms
from django.contrib import admin
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from members.actors import Actor
from members.admin.tools import FastListMixin, ReadOnlyAdminMixin, ReasonForm, require_permission, run_action

from .models import (
    BenefitGrant,
    EarnRule,
    Exchange,
    ExchangeOffer,
    PointsAccount,
    PointsEntry,
    Programme,
    Referral,
    ReferralCode,
    TierBenefit,
    TierChange,
    TierLevel,
)
from .services import points_adjust


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "expiry_months", "tier_measure", "point_value_twd", "referral_monthly_cap"]
    raw_id_fields = ["referrer_definition", "friend_definition"]
    fieldsets = [
        (None, {"fields": ["expiry_months", "tier_measure", "point_value_twd"]}),
        (
            _("Referrals"),
            {
                "fields": [
                    "referrer_points",
                    "referrer_definition",
                    "friend_points",
                    "friend_definition",
                    "referral_monthly_cap",
                ]
            },
        ),
    ]

    def has_add_permission(self, request) -> bool:
        return not Programme.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EarnRuleForm(forms.ModelForm):
    class Meta:
        model = EarnRule
        fields = ["name", "kind", "points", "per_twd", "multiplier_percent", "starts_on", "ends_on", "active"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == EarnRule.Kind.SPEND and not (data.get("per_twd") and data.get("points")):
            self.add_error("per_twd", _("A spend rule needs points and a step in NT$."))
        if kind == EarnRule.Kind.BIRTHDAY and (data.get("multiplier_percent") or 0) < 100:
            self.add_error("multiplier_percent", _("A birthday multiplier is at least 100%."))
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The end comes before the start."))
        return data


@admin.register(EarnRule)
class EarnRuleAdmin(admin.ModelAdmin):
    form = EarnRuleForm
    list_display = [
        "name",
        "kind",
        "points",
        "per_twd",
        "multiplier_percent",
        "starts_on",
        "ends_on",
        "active",
    ]
    list_filter = ["kind", "active"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switch a rule off instead: entries name the rules they were earned by


@admin.register(TierLevel)
class TierLevelAdmin(admin.ModelAdmin):
    list_display = ["rank", "name", "spend_twd", "visits"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # history and standings refer to it


class EntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PointsEntry
    fields = ["created_at", "kind", "delta", "balance_after", "actor_label", "reason", "key"]
    readonly_fields = fields
    ordering = ["-pk"]
    extra = 0
    max_num = 0
    verbose_name_plural = _("points history")


class TierChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TierChange
    fields = ["created_at", "kind", "from_tier", "to_tier", "spend_twd", "visits"]
    readonly_fields = fields
    ordering = ["-pk"]
    extra = 0
    max_num = 0


class AdjustForm(ReasonForm):
    points = forms.IntegerField(
        label=_("Points"),
        help_text=_("positive to add, negative to take away"),
        min_value=-1_000_000,
        max_value=1_000_000,
    )
    field_order = ["points", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = _("Recorded in the points history and the admin log.")


@admin.register(PointsAccount)
class PointsAccountAdmin(FastListMixin, admin.ModelAdmin):
    list_display = ["member", "balance", "tier", "created_at"]
    list_select_related = ["member", "standing__tier"]
    search_fields = ["member__phone", "member__name"]
    list_filter = ["standing__tier"]
    fields = ["member", "balance", "tier", "review_on", "created_at"]
    readonly_fields = fields
    inlines = [EntryInline, TierChangeInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("tier"))
    def tier(self, obj) -> str:
        standing = getattr(obj, "standing", None)
        return standing.tier.name if standing else "—"

    @admin.display(description=_("next anniversary review"))
    def review_on(self, obj):
        standing = getattr(obj, "standing", None)
        return standing.review_on if standing else "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/adjust/", wrap(self.adjust_view), name="loyalty_pointsaccount_adjust"),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        tools = []
        if object_id and request.user.has_perm("loyalty.change_pointsaccount"):
            tools.append(
                (_("Adjust points"), reverse("admin:loyalty_pointsaccount_adjust", args=[object_id]))
            )
        extra_context = {**(extra_context or {}), "account_tools": tools}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def adjust_view(self, request, object_id):
        require_permission(request, "loyalty.change_pointsaccount")
        account = self.get_object(request, object_id)
        if account is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)

        def perform(data):
            entry = points_adjust(
                member=account.member_id,
                points=data["points"],
                reason=data["reason"],
                actor=Actor.operations(request.user),
            )
            return gettext("Points adjusted by %(points)+d; the balance is %(balance)d.") % {
                "points": entry.delta,
                "balance": entry.balance_after,
            }

        def log_message(data):
            return gettext("Points adjusted by %(points)+d. Reason: %(reason)s") % {
                "points": data["points"],
                "reason": data["reason"],
            }

        return run_action(
            self,
            request,
            account,
            form=AdjustForm(request.POST or None),
            title=gettext("Adjust points — %(member)s") % {"member": account.member},
            perform=perform,
            log_message=log_message,
            extra_context={
                "submit_label": _("Adjust points"),
                "summary": [(_("Member"), account.member), (_("Points balance"), account.balance)],
            },
        )


@admin.register(PointsEntry)
class PointsEntryAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "account", "kind", "delta", "balance_after", "actor_label", "reason"]
    list_select_related = ["account__member"]
    list_filter = ["kind"]
    search_fields = ["account__member__phone", "key"]
    date_hierarchy = None


@admin.register(TierChange)
class TierChangeAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "account", "kind", "from_tier", "to_tier", "spend_twd", "visits"]
    list_select_related = ["account__member", "from_tier", "to_tier"]
    list_filter = ["kind", "to_tier"]
    search_fields = ["account__member__phone"]


@admin.register(ExchangeOffer)
class ExchangeOfferAdmin(admin.ModelAdmin):
    list_display = ["definition", "points_price", "per_member_limit", "active"]
    list_filter = ["active"]
    raw_id_fields = ["definition"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switch it off instead: exchanges refer to it


@admin.register(Exchange)
class ExchangeAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "account", "offer", "voucher", "status", "cancelled_at"]
    list_select_related = ["account__member", "offer__definition", "voucher"]
    list_filter = ["status"]
    search_fields = ["account__member__phone"]


@admin.register(TierBenefit)
class TierBenefitAdmin(admin.ModelAdmin):
    list_display = ["tier", "definition", "active"]
    list_filter = ["tier", "active"]
    raw_id_fields = ["definition"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switch it off instead: grants refer to it


@admin.register(BenefitGrant)
class BenefitGrantAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "account", "benefit", "period", "voucher"]
    list_select_related = ["account__member", "benefit__tier", "benefit__definition", "voucher"]
    list_filter = ["period"]
    search_fields = ["account__member__phone"]


@admin.register(Referral)
class ReferralAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who referred whom and how it ended; written only by the referral services."""

    list_display = [
        "created_at",
        "referrer",
        "friend",
        "status",
        "refused_because",
        "trigger",
        "decided_at",
        "referrer_points",
        "friend_points",
    ]
    list_select_related = ["referrer", "friend"]
    list_filter = ["status", "refusal", "trigger"]
    search_fields = ["referrer__phone", "friend__phone", "code"]

    @admin.display(description=_("refused because"), ordering="refusal")
    def refused_because(self, obj: Referral) -> str:
        return obj.refusal_text


@admin.register(ReferralCode)
class ReferralCodeAdmin(FastListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["code", "member", "created_at"]
    list_select_related = ["member"]
    search_fields = ["code", "member__phone"]
