"""My personal data: download a copy (JSON or CSV), ask for erasure and follow the request."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from config.errors import DomainError
from members.models import ErasureRequest
from members.services import erasure_request_create

from ..auth import owner_required
from ..forms import ErasureConfirmForm
from ..idempotency import form_token_ok, idempotency_token
from ..personal_data import as_csv_zip, as_json, personal_data_export
from ._common import show_error

DOWNLOADS = {
    "json": ("application/json; charset=utf-8", "json"),
    "csv": ("application/zip", "zip"),
}


def _requests(member):
    return list(ErasureRequest.objects.filter(member=member).order_by("-requested_at", "-pk")[:10])


@owner_required
@require_GET
def personal_data(request):
    erasure_requests = _requests(request.owner)
    pending = next((r for r in erasure_requests if r.status == ErasureRequest.Status.PENDING), None)
    return render(
        request,
        "portal/personal_data.html",
        {"erasure_requests": erasure_requests, "pending": pending, "nav": "preferences"},
    )


@owner_required
@require_GET
def personal_data_download(request, fmt: str):
    content_type, extension = DOWNLOADS[fmt]
    now = timezone.now()
    records = personal_data_export(member=request.owner)
    body = as_json(records, member=request.owner, now=now) if fmt == "json" else as_csv_zip(records)
    response = HttpResponse(body, content_type=content_type)
    filename = f"my-data-{timezone.localtime(now):%Y%m%d-%H%M}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@owner_required
@require_http_methods(["GET", "POST"])
def erasure_request(request):
    form = ErasureConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and form_token_ok(request, form):
        try:
            _request, created = erasure_request_create(member=request.owner, source="portal")
        except DomainError as exc:
            show_error(request, exc)
        else:
            if created:
                messages.success(request, _("Your request is recorded. Our service team will carry it out."))
            else:
                messages.info(request, _("You have already asked for erasure; your request is waiting."))
        return redirect("portal:personal_data")
    return render(
        request,
        "portal/erasure_confirm.html",
        {
            "form": form,
            "pending": next(
                (r for r in _requests(request.owner) if r.status == ErasureRequest.Status.PENDING), None
            ),
            "idempotency_token": idempotency_token(),
            "nav": "preferences",
        },
    )
