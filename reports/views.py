"""The Reports section of the back office: custom admin views (admin look, admin log-in), thin: they
parse the filter form, ask access.py what the reader may see, and call the report."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .access import report_scope
from .charts import render_svg
from .exports import report_csv, report_xlsx
from .forms import ReportFilterForm
from .registry import all_reports, cell_text, get_report
from .selectors import last_refresh

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _table_body(result) -> str:
    """The table's rows as HTML, built here rather than in a template loop: a report of a few
    thousand cells renders in milliseconds instead of most of a second (bench/reports.py)."""
    cells = {True: '<td class="number">{}</td>', False: "<td>{}</td>"}
    rows = (
        "<tr>"
        + "".join(cells[c.numeric].format(escape(cell_text(c, row.get(c.key)))) for c in result.columns)
        + "</tr>"
        for row in result.rows
    )
    return mark_safe("".join(rows))  # noqa: S308 - every cell is escaped above


def _context(request, **extra):
    return {**admin.site.each_context(request), **extra}


def index(request):
    reports = [r for r in all_reports() if report_scope(request.user, r.permission).allowed]
    if not reports:
        raise PermissionDenied
    return TemplateResponse(
        request,
        "admin/reports/index.html",
        _context(request, title=_("Reports"), reports=reports, refresh=last_refresh()),
    )


def _report_and_form(request, slug: str):
    report = get_report(slug)
    if report is None:
        raise Http404
    scope = report_scope(request.user, report.permission)
    if not scope.allowed:
        raise PermissionDenied
    form = ReportFilterForm(request.GET, filters=report.filters, scope=scope, paid_only=report.paid_only)
    return report, form


def report_page(request, slug: str):
    report, form = _report_and_form(request, slug)
    result = query = None
    status = 200
    if form.is_valid():
        query = form.query()
        if report.monthly:
            query = query.whole_months()
        result = report.result(query)
    else:
        status = 400
    table = _table_body(result) if result is not None else None
    params = request.GET.urlencode()
    context = _context(
        request,
        title=report.title,
        report=report,
        form=form,
        query=query,
        result=result,
        table=table,
        chart=render_svg(result.chart) if result and result.chart else None,
        csv_url=reverse("reports:export", args=[slug, "csv"]) + (f"?{params}" if params else ""),
        xlsx_url=reverse("reports:export", args=[slug, "xlsx"]) + (f"?{params}" if params else ""),
        refresh=last_refresh(),
    )
    return TemplateResponse(request, "admin/reports/report.html", context, status=status)


def report_export(request, slug: str, fmt: str):
    if fmt not in CONTENT_TYPES:
        raise Http404
    report, form = _report_and_form(request, slug)
    if not form.is_valid():
        return HttpResponse(
            _("The filters are not valid."), status=400, content_type="text/plain; charset=utf-8"
        )
    query = form.query()
    if report.monthly:
        query = query.whole_months()
    result = report.result(query)
    body = report_csv(result) if fmt == "csv" else report_xlsx(result, sheet_title=report.slug)
    response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
    name = f"{report.slug}-{query.start:%Y%m%d}-{query.end:%Y%m%d}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _admin(view):
    return admin.site.admin_view(view)


def as_admin_views():
    return _admin(index), _admin(report_page), _admin(report_export)
