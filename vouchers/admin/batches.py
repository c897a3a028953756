"""Bulk issuance, step two: the dry run's figures and rejected rows, confirmation, live progress."""

import csv

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.spreadsheet import spreadsheet_safe
from members.admin.tools import FileBatchAdminMixin, ReadOnlyAdminMixin

from ..models import IssueBatch, IssueBatchRow
from ..services.bulk import issue_batch_cancel, issue_batch_confirm, issue_batch_resume

Status = IssueBatch.Status


@admin.register(IssueBatch)
class IssueBatchAdmin(FileBatchAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "definition",
        "source_label",
        "status",
        "rows_total",
        "rows_issued",
        "rows_rejected",
        "vouchers_issued",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("status", "source_kind", "definition")
    list_select_related = ("definition", "created_by")
    show_full_result_count = False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/progress/", wrap(self.progress_view), name="vouchers_issuebatch_progress"),
            path(
                "<path:object_id>/rejected.csv",
                wrap(self.rejected_csv_view),
                name="vouchers_issuebatch_rejected",
            ),
            path(
                "<path:object_id>/confirm/",
                wrap(require_POST(self.confirm_view)),
                name="vouchers_issuebatch_confirm",
            ),
            path(
                "<path:object_id>/cancel/",
                wrap(require_POST(self.cancel_view)),
                name="vouchers_issuebatch_cancel",
            ),
            path(
                "<path:object_id>/resume/",
                wrap(require_POST(self.resume_view)),
                name="vouchers_issuebatch_resume",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.batch_or_404(request, object_id)
        context = {
            **self.batch_context(
                request,
                batch,
                title=gettext("Bulk issuance #%(id)s: %(name)s")
                % {"id": batch.pk, "name": batch.definition.name},
                rejected_status=IssueBatchRow.Status.REJECTED,
            ),
            "can_issue": request.user.has_perm("vouchers.add_issuebatch"),
            "active": batch.status in (Status.CHECKING, Status.QUEUED, Status.RUNNING),
            "progress_url": reverse("admin:vouchers_issuebatch_progress", args=[batch.pk]),
        }
        return TemplateResponse(request, "admin/vouchers/issuebatch/batch.html", context)

    def progress_view(self, request, object_id):
        batch = self.batch_or_404(request, object_id)
        return JsonResponse(
            {
                "status": batch.status,
                "status_label": str(batch.get_status_display()),
                "rows_total": batch.rows_total,
                "rows_valid": batch.rows_valid,
                "rows_processed": batch.rows_done - (batch.rows_total - batch.rows_valid),
                "rows_issued": batch.rows_issued,
                "rows_rejected": batch.rows_rejected,
                "vouchers_issued": batch.vouchers_issued,
                "percent": batch.percent_done,
                "finished": batch.status in (Status.DONE, Status.STOPPED, Status.CANCELLED),
                "checked": batch.status != Status.CHECKING,
                "last_error": batch.last_error,
            }
        )

    def rejected_csv_view(self, request, object_id):
        batch = self.batch_or_404(request, object_id)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="bulk-{batch.pk}-rejected.csv"'
        response.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese text correctly
        writer = csv.writer(response)
        writer.writerow([gettext("row"), gettext("value"), gettext("reason"), gettext("detail")])
        rows = batch.rows.filter(status=IssueBatchRow.Status.REJECTED).order_by("row_number")
        for row in rows.iterator(chunk_size=2000):
            value = spreadsheet_safe(row.raw)
            writer.writerow([row.row_number, value, row.get_reason_display(), row.detail])
        return response

    def _act(self, request, object_id, action, success: str):
        if not request.user.has_perm("vouchers.add_issuebatch"):
            raise PermissionDenied
        batch = self.batch_or_404(request, object_id)
        try:
            result = action(batch)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            self.log_change(request, batch, success)
            messages.success(
                request, success if result.status != Status.PREPARED else gettext("Nothing changed.")
            )
        return redirect(reverse("admin:vouchers_issuebatch_change", args=[batch.pk]))

    def confirm_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            lambda b: issue_batch_confirm(batch=b, actor=request.user),
            gettext("Issuance confirmed; vouchers are being issued."),
        )

    def cancel_view(self, request, object_id):
        return self._act(
            request, object_id, lambda b: issue_batch_cancel(batch=b), gettext("Bulk issuance cancelled.")
        )

    def resume_view(self, request, object_id):
        return self._act(
            request,
            object_id,
            lambda b: issue_batch_resume(batch=b),
            gettext("The remaining rows are queued again."),
        )
