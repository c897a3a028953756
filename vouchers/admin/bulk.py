"""Bulk issuance, step one: upload a whitelist or choose a segment; the dry run follows."""

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

from ..bulk_csv import whitelist_decode, whitelist_values
from ..models import IssueBatch, VoucherDefinition
from ..services.bulk import issue_batch_submit
from .extensions import audience_providers

FILE_SOURCE = "file"


class BulkIssueForm(forms.Form):
    source = forms.ChoiceField(label=_("Issue to"), widget=forms.RadioSelect)
    whitelist = forms.FileField(
        label=_("Whitelist (CSV)"),
        required=False,
        help_text=_(
            "One licence plate, VIN or mobile number per line (first column; a heading line is skipped). "
            "UTF-8 with or without BOM, or Big5."
        ),
    )
    identifier_kind = forms.ChoiceField(
        label=_("The file lists"),
        choices=[
            ("auto", _("Recognise each line (plate, VIN or mobile number)")),
            ("plate", _("Licence plates")),
            ("vin", _("VINs")),
            ("phone", _("Mobile numbers")),
        ],
        initial="auto",
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        help_text=_("Recorded on every voucher's ledger entry, e.g. “2026 spring campaign, approved by …”."),
    )

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(FILE_SOURCE, _("An uploaded whitelist"))]
        for provider in audience_providers.values():
            choices += [
                (f"{provider.key}:{value}", f"{provider.label}: {label}")
                for value, label in provider.choices(request)
            ]
        self.fields["source"].choices = choices
        self.fields["source"].initial = FILE_SOURCE

    def clean(self):
        data = super().clean()
        if data.get("source") == FILE_SOURCE:
            upload = data.get("whitelist")
            if not upload:
                self.add_error("whitelist", _("Choose the CSV file to upload."))
            else:
                try:
                    data["values"] = whitelist_values(
                        whitelist_decode(upload.read()), max_rows=settings.VOUCHERS_BULK_MAX_ROWS
                    )
                except DomainError as exc:
                    self.add_error("whitelist", exc.message)
                else:
                    if not data["values"]:
                        self.add_error("whitelist", _("The file has no rows."))
        return data


class BulkIssueMixin:
    """Mixed into VoucherDefinitionAdmin: /<id>/bulk/ starts a bulk issuance of that definition."""

    def bulk_urls(self):
        return [
            path(
                "<path:object_id>/bulk/",
                self.admin_site.admin_view(self.bulk_view),
                name="vouchers_voucherdefinition_bulk",
            ),
        ]

    def bulk_view(self, request, object_id):
        if not request.user.has_perm("vouchers.add_issuebatch"):
            raise PermissionDenied
        definition = self.get_object(request, object_id)
        if definition is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        form = BulkIssueForm(request.POST or None, request.FILES or None, request=request)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                batch = self._prepare(request, definition, data)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect(reverse("admin:vouchers_issuebatch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": definition,
            "definition": definition,
            "title": gettext("Issue in bulk: %(name)s") % {"name": definition.name},
            "form": form,
            "stock_left": definition.stock_left,
        }
        return TemplateResponse(request, "admin/vouchers/voucherdefinition/bulk_form.html", context)

    def _prepare(self, request, definition: VoucherDefinition, data: dict) -> IssueBatch:
        common = {"definition": definition, "reason": data["reason"], "actor": request.user}
        if data["source"] == FILE_SOURCE:
            return issue_batch_submit(
                **common,
                source_kind=IssueBatch.SourceKind.FILE,
                source_label=data["whitelist"].name,
                values=data["values"],
                identifier_kind=data["identifier_kind"],
            )
        key, _sep, value = data["source"].partition(":")
        audience = audience_providers[key].resolve(value)
        by_member = definition.holder_type == VoucherDefinition.HolderType.MEMBER
        return issue_batch_submit(
            **common,
            source_kind=IssueBatch.SourceKind.AUDIENCE,
            source_label=audience.label,
            member_ids=audience.member_ids if by_member else None,
            vehicle_ids=None if by_member else audience.vehicle_ids,
        )
