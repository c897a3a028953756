import csv
import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from config.errors import DomainError
from config.spreadsheet import spreadsheet_safe
from members.actors import Actor
from members.admin.tools import DealerScopedMixin, run_action, scoped_dealer_id

from ..exports import STATEMENT_COLUMNS, statement_rows
from ..models import SettlementLine, SettlementStatement
from ..services import statement_approve, statement_draft, statement_export, statements_draft_month
from .forms import ConfirmForm, DraftMonthForm


@admin.register(SettlementStatement)
class SettlementStatementAdmin(DealerScopedMixin, admin.ModelAdmin):
    list_display = (
        "__str__",
        "dealer",
        "month_label",
        "status",
        "owed_to_dealer_twd",
        "owed_by_dealer_twd",
        "total_twd",
        "approved_at",
    )
    list_filter = ("status", "dealer")
    search_fields = ("number", "dealer__code", "dealer__name")
    list_select_related = ("dealer",)
    readonly_fields = (
        "dealer",
        "month_label",
        "status",
        "number",
        "owed_to_dealer_twd",
        "owed_by_dealer_twd",
        "total_twd",
        "drafted_at",
        "approved_at",
        "approved_by",
        "exported_at",
    )
    fields = readonly_fields
    # A statement of a busy dealer has thousands of lines: the page shows the totals per kind and the
    # first lines; the CSV and XLSX carry every line.
    lines_shown = 200

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, obj: SettlementStatement) -> str:
        return f"{obj.month:%Y-%m}"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # The page is read-only: drafting, approving and exporting are their own actions.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def _may_settle(self, request) -> bool:
        return scoped_dealer_id(request) is None and request.user.has_perm(
            "finance.change_settlementstatement"
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("draft/", wrap(self.draft_view), name="finance_settlementstatement_draft"),
            path(
                "<int:object_id>/redraft/",
                wrap(self.redraft_view),
                name="finance_settlementstatement_redraft",
            ),
            path(
                "<int:object_id>/approve/",
                wrap(self.approve_view),
                name="finance_settlementstatement_approve",
            ),
            path(
                "<int:object_id>/export/<str:fmt>/",
                wrap(self.export_view),
                name="finance_settlementstatement_export",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra = {"may_settle": self._may_settle(request), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        lines = SettlementLine.objects.filter(statement_id=object_id) if str(object_id).isdigit() else None
        extra = {
            "may_settle": self._may_settle(request),
            "line_totals": lines_by_kind(lines) if lines is not None else [],
            "lines_preview": list(
                lines.select_related("voucher", "definition").order_by("occurred_at", "pk")[
                    : self.lines_shown
                ]
            )
            if lines is not None
            else [],
            "lines_shown": self.lines_shown,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra)

    def _statement(self, request, object_id) -> SettlementStatement:
        if not self.has_view_permission(request):
            raise PermissionDenied
        statement = self.get_queryset(request).filter(pk=object_id).first()
        if statement is None:
            raise Http404
        return statement

    def draft_view(self, request):
        if not self._may_settle(request):
            raise PermissionDenied
        form = DraftMonthForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            drafted = statements_draft_month(
                month=form.cleaned_data["month"],
                dealer=form.cleaned_data["dealer"],
                actor=Actor.operations(request.user),
            )
            self.message_user(
                request,
                gettext("%(count)d draft statements made from the ledger.") % {"count": len(drafted)},
                messages.SUCCESS,
            )
            return redirect("admin:finance_settlementstatement_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Draft the statements of a month"),
            "form": form,
            "note": gettext(
                "Every use, reversal and counter sale up to the month's end that no statement has "
                "settled yet; approved statements are kept as they are."
            ),
        }
        return TemplateResponse(request, "admin/finance/settlementstatement/draft.html", context)

    @staticmethod
    def _refusal(request, exc: DomainError, statement):
        messages.error(request, exc.message)
        return redirect("admin:finance_settlementstatement_change", statement.pk)

    def redraft_view(self, request, object_id):
        return require_POST(self._redraft)(request, object_id)

    def _redraft(self, request, object_id):
        statement = self._statement(request, object_id)
        if not self._may_settle(request):
            raise PermissionDenied
        try:
            statement_draft(
                dealer=statement.dealer, month=statement.month, actor=Actor.operations(request.user)
            )
        except DomainError as exc:
            return self._refusal(request, exc, statement)
        self.log_change(request, statement, gettext("Draft recomputed from the ledger"))
        self.message_user(request, gettext("The draft was recomputed from the ledger."), messages.SUCCESS)
        return redirect("admin:finance_settlementstatement_change", statement.pk)

    def approve_view(self, request, object_id):
        statement = self._statement(request, object_id)
        if not self._may_settle(request):
            raise PermissionDenied
        actor = Actor.operations(request.user)
        return run_action(
            self,
            request,
            statement,
            form=ConfirmForm(request.POST or None),
            title=gettext("Approve settlement statement"),
            perform=lambda data: (
                gettext("Statement %(number)s approved; it can no longer change.")
                % {"number": statement_approve(statement=statement, actor=actor).number}
            ),
            log_message=lambda data: gettext("Approved"),
            extra_context={
                "summary": [
                    (gettext("Dealer"), statement.dealer),
                    (gettext("Month"), f"{statement.month:%Y-%m}"),
                    (gettext("Owed to the dealer (NT$)"), statement.owed_to_dealer_twd),
                    (gettext("Owed by the dealer (NT$)"), statement.owed_by_dealer_twd),
                    (gettext("Balance (NT$)"), statement.total_twd),
                ],
                "note": gettext(
                    "Once approved the statement is numbered and never changes; later corrections go into "
                    "the next month's statement."
                ),
            },
        )

    def export_view(self, request, object_id, fmt):
        statement = self._statement(request, object_id)
        if fmt not in ("csv", "xlsx"):
            raise Http404
        if statement.is_draft:
            messages.error(request, gettext("Only an approved statement can be exported."))
            return redirect("admin:finance_settlementstatement_change", statement.pk)
        if self._may_settle(request):
            statement = statement_export(statement=statement, actor=Actor.operations(request.user))
        return statement_file(statement, fmt)


def lines_by_kind(lines) -> list[dict]:
    kinds = dict(SettlementLine.Kind.choices)
    fundings = dict(SettlementLine.Funding.choices)
    rows = (
        lines.values("kind", "funding", "adjustment")
        .annotate(count=Count("pk"), amount=Sum("amount_twd"))
        .order_by("kind", "funding", "adjustment")
    )
    return [
        {
            **row,
            "kind_label": kinds.get(row["kind"], row["kind"]),
            "funding_label": fundings.get(row["funding"], ""),
        }
        for row in rows
    ]


def statement_file(statement: SettlementStatement, fmt: str) -> HttpResponse:
    """The statement as CSV or XLSX, with the same rows as its page."""
    rows = statement_rows(statement)
    name = statement.number or f"statement-{statement.pk}"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(STATEMENT_COLUMNS)
        writer.writerows([[spreadsheet_safe(v) if isinstance(v, str) else v for v in row] for row in rows])
        response = HttpResponse(buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:31])
        sheet.append(STATEMENT_COLUMNS)
        for row in rows:
            sheet.append([spreadsheet_safe(v) if isinstance(v, str) else v for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def statement_url(statement: SettlementStatement) -> str:
    return reverse("admin:finance_settlementstatement_change", args=[statement.pk])
