"""Back office for data imports: upload a DMS / CRM file, its dry run with every rejected row and
its reason, confirmation, a live progress bar, and the results as CSV (the bulk-issue pattern)."""

import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.spreadsheet import spreadsheet_safe
from members.admin.tools import FileBatchAdminMixin, ReadOnlyAdminMixin
from members.models import Dealer

from ..imports.files import mapping_read
from ..imports.services import (
    import_batch_cancel,
    import_batch_confirm,
    import_batch_resume,
    import_batch_submit,
)
from ..models import ImportBatch, ImportRow

Status = ImportBatch.Status
PERMISSION = "vehicles.add_importbatch"


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Records"), choices=ImportBatch.Kind.choices)
    upload = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV in UTF-8 (with or without BOM) or Big5, or XLSX; the first row holds the column "
            "headers, in English or Chinese."
        ),
    )
    dealer = forms.ModelChoiceField(
        label=_("Dealer"),
        queryset=Dealer.objects.filter(is_active=True),
        required=False,
        help_text=_("For rows that name no dealer (visits)."),
    )
    mapping = forms.FileField(
        label=_("Column mapping"),
        required=False,
        help_text=_('Optional: JSON {"their header": "our header"} or a CSV of two columns.'),
    )
    create_models = forms.BooleanField(
        label=_("Create vehicle models the list does not have yet"), required=False
    )

    def clean_mapping(self):
        upload = self.cleaned_data.get("mapping")
        if not upload:
            return None
        try:
            return mapping_read(upload.read())
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc


@admin.register(ImportBatch)
class ImportBatchAdmin(FileBatchAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "kind",
        "file_name",
        "status",
        "rows_total",
        "rows_applied",
        "rows_unchanged",
        "rows_rejected",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "kind")
    list_select_related = ("created_by",)
    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(PERMISSION)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        name = "vehicles_importbatch_"
        return [
            path("upload/", wrap(self.upload_view), name=name + "upload"),
            path("<path:object_id>/progress/", wrap(self.progress_view), name=name + "progress"),
            path("<path:object_id>/results.csv", wrap(self.results_csv_view), name=name + "results"),
            path("<path:object_id>/confirm/", wrap(require_POST(self.confirm_view)), name=name + "confirm"),
            path("<path:object_id>/cancel/", wrap(require_POST(self.cancel_view)), name=name + "cancel"),
            path("<path:object_id>/resume/", wrap(require_POST(self.resume_view)), name=name + "resume"),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        return redirect(reverse("admin:vehicles_importbatch_upload"))

    def upload_view(self, request):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        form = ImportUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                batch = import_batch_submit(
                    kind=data["kind"],
                    stream=data["upload"].file,
                    file_name=data["upload"].name,
                    dealer_code=data["dealer"].code if data["dealer"] else "",
                    mapping=data["mapping"],
                    create_models=data["create_models"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error("upload", exc.message)
            else:
                return redirect(reverse("admin:vehicles_importbatch_change", args=[batch.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "title": gettext("Import vehicles, owners or workshop visits"),
            "form": form,
        }
        return TemplateResponse(request, "admin/vehicles/importbatch/upload.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.batch_or_404(request, object_id)
        context = {
            **self.batch_context(
                request,
                batch,
                title=gettext("Import #%(id)s: %(file)s") % {"id": batch.pk, "file": batch.file_name},
                rejected_status=ImportRow.Status.REJECTED,
            ),
            "can_import": request.user.has_perm(PERMISSION),
            "active": batch.status in (Status.CHECKING, Status.QUEUED, Status.RUNNING),
            "percent": _percent(batch),
            "progress_url": reverse("admin:vehicles_importbatch_progress", args=[batch.pk]),
        }
        return TemplateResponse(request, "admin/vehicles/importbatch/batch.html", context)

    def progress_view(self, request, object_id):
        """The JSON that the shared progress script (batch_progress.js) polls."""
        batch = self.batch_or_404(request, object_id)
        return JsonResponse(
            {
                "status": batch.status,
                "status_label": str(batch.get_status_display()),
                "rows_total": batch.rows_total,
                "rows_valid": batch.rows_total,
                "rows_issued": batch.rows_done,
                "percent": _percent(batch),
                "finished": batch.status in (Status.DONE, Status.CANCELLED, Status.FAILED),
            }
        )

    def results_csv_view(self, request, object_id):
        """Every row's outcome (or only the rejected ones with ?rejected=1), for a spreadsheet."""
        batch = self.batch_or_404(request, object_id)
        rows = batch.rows.order_by("row_number")
        suffix = "results"
        if request.GET.get("rejected"):
            rows, suffix = rows.filter(status=ImportRow.Status.REJECTED), "rejected"
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{batch.pk}-{suffix}.csv"'
        response.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese text correctly
        writer = csv.writer(response)
        writer.writerow(
            [gettext("row"), gettext("status"), gettext("reason"), gettext("detail"), gettext("values")]
        )
        for row in rows.iterator(chunk_size=2000):
            values = " | ".join(f"{k}={v}" for k, v in row.data.items())
            writer.writerow(
                [row.row_number, row.get_status_display(), row.reason, row.detail, spreadsheet_safe(values)]
            )
        return response

    def _act(self, request, object_id, action, success: str):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        batch = self.batch_or_404(request, object_id)
        try:
            action(batch)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.log_change(request, batch, success)
            messages.success(request, success)
        return redirect(reverse("admin:vehicles_importbatch_change", args=[batch.pk]))

    def confirm_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            lambda b: import_batch_confirm(batch=b),
            gettext("Import confirmed; rows are being imported."),
        )

    def cancel_view(self, request, object_id):
        return self._act(
            request, object_id, lambda b: import_batch_cancel(batch=b), gettext("Import cancelled.")
        )

    def resume_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            lambda b: import_batch_resume(batch=b),
            gettext("The remaining rows are queued again."),
        )


def _percent(batch: ImportBatch) -> int:
    if not batch.rows_total:
        return 100 if batch.status == Status.DONE else 0
    return max(0, min(100, round(100 * batch.rows_done / batch.rows_total)))
