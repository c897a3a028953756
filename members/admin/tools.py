"""Building blocks every app's admin uses: a paginator that does not count huge tables, a form
for actions that need a reason, and the one way a manual action runs (service, admin log, message).

Lives in the lowest app so every admin package may import it without breaking the layering.
"""

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import quote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

from ..models import DealerStaff


class CappedCountPaginator(Paginator):
    """Counts at most `count_cap` rows: admin lists stay fast with a million vouchers.

    Beyond the cap an unfiltered list on PostgreSQL shows the planner's row estimate (free); any
    other list shows the cap, so the last pages of a huge result are reached by filtering instead.
    """

    count_cap = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        capped = queryset.order_by().values("pk")[: self.count_cap + 1].count()
        if capped <= self.count_cap:
            return capped
        estimate = _planner_estimate(queryset)
        return max(self.count_cap, estimate or 0)


def _planner_estimate(queryset) -> int | None:
    if queryset.query.where or queryset.query.combinator:
        return None
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [queryset.model._meta.db_table]
        )
        row = cursor.fetchone()
    return int(row[0]) if row and row[0] and row[0] > 0 else None


class FastListMixin:
    """For tables that grow to millions of rows: no full count, a capped paginator."""

    show_full_result_count = False
    paginator = CappedCountPaginator
    list_per_page = 50


class ReadOnlyAdminMixin:
    """Rows written only by services (ledger, redemptions, batches): viewable, never edited here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReasonForm(forms.Form):
    """Every manual action asks why; the reason lands in the ledger and the admin log."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Recorded in the voucher ledger and the admin log."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Please give a reason."))
        return reason


def require_permission(request: HttpRequest, *perms: str) -> None:
    if not request.user.has_perms(perms):
        raise PermissionDenied


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[quote(obj.pk)])


def run_action(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    obj,
    *,
    form: forms.Form,
    title: str,
    perform: Callable[[dict], str],
    log_message: Callable[[dict], str],
    template: str = "admin/backoffice/action_form.html",
    extra_context: dict | None = None,
    success_url: str | None = None,
) -> HttpResponse:
    """Show `form`; on a valid POST call `perform` (which calls one service and returns the success
    message). A DomainError from the service is shown on the form and nothing is logged; success is
    written to the admin log (LogEntry) and announced only after the service committed."""
    if request.method == "POST" and form.is_valid():
        try:
            message = perform(form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            model_admin.log_change(request, obj, log_message(form.cleaned_data))
            model_admin.message_user(request, message, messages.SUCCESS)
            return redirect(success_url or change_url(obj))
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "app_label": opts.app_label,
        "object": obj,
        "original": obj,
        "title": title,
        "form": form,
        "object_url": change_url(obj),
        "has_view_permission": model_admin.has_view_permission(request, obj),
        **(extra_context or {}),
    }
    return TemplateResponse(request, template, context)


def scoped_dealer_id(request: HttpRequest) -> int | None:
    """The dealer a signed-in dealer employee is limited to; None for operations and finance staff."""
    user = request.user
    if user.is_superuser:
        return None
    cached = getattr(request, "_scoped_dealer_id", ...)
    if cached is ...:
        cached = DealerStaff.objects.filter(user_id=user.pk).values_list("dealer_id", flat=True).first()
        request._scoped_dealer_id = cached
    return cached


class DealerScopedMixin:
    """Dealer managers see only their own dealer's rows; `dealer_scope_field` names the path."""

    dealer_scope_field = "dealer"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        dealer_id = scoped_dealer_id(request)
        if dealer_id is not None:
            queryset = queryset.filter(**{f"{self.dealer_scope_field}_id": dealer_id})
        return queryset

    def get_list_filter(self, request):
        # A scoped employee has one dealer: a filter listing every dealer would only leak their names.
        filters = super().get_list_filter(request)
        if scoped_dealer_id(request) is None:
            return filters
        return [f for f in filters if f != self.dealer_scope_field]


class FileBatchAdminMixin:
    """The page of an uploaded file worked through in the background (bulk issuance, DMS imports):
    the batch, scoped by view permission, and its first rejected rows with their reasons."""

    rejected_shown = 200

    def batch_or_404(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        batch = self.get_object(request, object_id)
        if batch is None:
            raise Http404
        return batch

    def batch_context(self, request, batch, *, title: str, rejected_status: str) -> dict:
        rejected = list(
            batch.rows.filter(status=rejected_status).order_by("row_number")[: self.rejected_shown]
        )
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "original": batch,
            "batch": batch,
            "title": title,
            "has_view_permission": True,
            "rejected": rejected,
            "rejected_more": batch.rows_rejected > len(rejected),
        }
