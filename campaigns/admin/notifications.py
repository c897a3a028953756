"""Outbox, message templates, lifecycle programmes, event issuances and job runs, for operations."""

from django import forms
from django.contrib import admin, messages
from django.core.validators import RegexValidator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

from ..messages import VARIABLES, MessageTemplateError, message_render, template_check
from ..models import EventIssuance, JobRun, MessageTemplate, Notification, Programme
from ..redact import codes_masked
from ..services import message_template_save, notification_retry

SAMPLE_CONTEXT = {
    "name": "王小明",
    "code": "123456",
    "minutes": 10,
    "vouchers": [{"title": "精緻洗車", "uses_left": 2, "code": "K7QF9M2DXR4T8ZB3"}],
    "count": 1,
    "expires_on": "2026/12/31",
    "days_left": 7,
    "uses_left": 3,
    "value_twd": 4500,
    "plate": "ABC-1234",
    "model": "SUV X3",
    "due_on": "2026/12/31",
    "overdue_days": 0,
    "due_by_mileage": True,
    "due_km": 30000,
    "title": "精緻洗車",
    "valid_until": "2026/12/31",
    "days": 30,
    "years": 3,
    "months": 6,
    "opt_out_url": "https://example.com/notifications/opt-out/…/",
}


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    class Media:
        css = {"all": ["admin/backoffice/backoffice.css"]}  # .message-text (no inline style: CSP)

    list_display = [
        "created_at",
        "purpose",
        "channel",
        "recipient",
        "status",
        "attempts",
        "not_before",
        "sent_at",
    ]
    list_filter = ["status", "purpose", "channel", "promotional"]
    search_fields = ["dedup_key", "recipient", "member__phone"]
    list_select_related = ["member"]
    raw_id_fields = ["member", "campaign"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = ["send_again"]
    exclude = ["body"]
    readonly_fields = ["message"]

    @admin.display(description=_("body"))
    def message(self, obj):
        # Sign-in codes are masked even while the SMS waits: staff never see an owner's code.
        body = codes_masked(obj.body) if obj.purpose == Notification.Purpose.LOGIN_CODE else obj.body
        return format_html('<pre class="message-text">{}</pre>', body)

    def has_change_permission(self, request, obj=None):
        # Read-only fields, but the list action needs change permission to appear.
        return obj is None and request.user.has_perm("campaigns.change_notification")

    @admin.action(description=_("Send the selected failed or skipped messages again"))
    def send_again(self, request, queryset):
        done = refused = 0
        for notification in queryset.order_by("pk"):
            try:
                notification_retry(notification=notification)
                done += 1
            except DomainError:
                refused += 1
        if done:
            self.message_user(request, _("%(n)s message(s) queued again.") % {"n": done}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                _("%(n)s message(s) could not be sent again and were left alone.") % {"n": refused},
                messages.WARNING,
            )


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "cols": 90})}

    def clean(self):
        cleaned = super().clean()
        for field in ("subject", "body"):
            try:
                template_check(cleaned.get(field) or "")
            except MessageTemplateError as exc:
                self.add_error(field, _("Not a valid template: %(error)s") % {"error": exc})
        return cleaned


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    class Media:
        css = {"all": ["admin/backoffice/backoffice.css"]}  # .message-text (no inline style: CSP)

    form = MessageTemplateForm
    list_display = ["key", "language", "subject", "updated_at", "updated_by"]
    list_filter = ["key", "language"]
    list_select_related = ["updated_by"]  # nullable: the admin's default join leaves it out
    readonly_fields = ["key", "language", "variables", "preview", "updated_at", "updated_by"]
    fields = ["key", "language", "subject", "body", "variables", "preview", "updated_at", "updated_by"]

    def has_add_permission(self, request):
        return False  # one row per message and language, seeded; restore with seed_message_templates

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("variables"))
    def variables(self, obj):
        names = VARIABLES["common"] + VARIABLES.get(obj.key, [])
        return format_html_join(", ", "<code>{{{{ {} }}}}</code>", ((n,) for n in names))

    @admin.display(description=_("preview with sample data"))
    def preview(self, obj):
        try:
            rendered = message_render(
                key=obj.key, language=obj.language, context=SAMPLE_CONTEXT, source=(obj.subject, obj.body)
            )
        except MessageTemplateError as exc:
            return str(exc)
        return format_html_join(
            "", '<pre class="message-text">{}</pre>', [(rendered.subject,), (rendered.body,)]
        )

    def save_model(self, request, obj, form, change):
        message_template_save(
            template=obj,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            actor=request.user,
        )


# The nightly programmes count these days back from today: whole numbers a calendar can hold.
PROGRAMME_DAYS = RegexValidator(
    r"^\s*([0-9]{1,4}\s*(,\s*[0-9]{1,4}\s*)*)?$", _("Comma-separated numbers of days")
)


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["key", "is_active", "send_message", "issue_vouchers", "days", "promotional"]
    list_editable = ["is_active", "send_message", "issue_vouchers", "days", "promotional"]
    readonly_fields = ["key"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Here, not in a form class: the list's editable rows use it too.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "days":
            field.validators.append(PROGRAMME_DAYS)
        return field

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EventIssuance)
class EventIssuanceAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "event",
        "definition",
        "member",
        "vehicle",
        "status",
        "vouchers_issued",
        "reason",
    ]
    list_filter = ["event", "status"]
    search_fields = ["key"]
    list_select_related = ["definition", "member", "vehicle__model"]  # a vehicle reads "plate (model)"
    show_full_result_count = False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ["job", "status", "started_at", "finished_at", "slices", "result", "error"]
    list_filter = ["job", "status"]
