"""Closing a car's telematics alert at the counter (the advisor checked it, or the owner declined)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.errors import DomainError
from vehicles.models import VehicleAlert
from vehicles.services.alerts import alert_close

from ..access import counter_view
from ._common import vehicle_url


@require_POST
@counter_view
def alert_close_view(request, vehicle_id: int, alert_id: int):
    alert = get_object_or_404(VehicleAlert, pk=alert_id, vehicle_id=vehicle_id)
    try:
        alert_close(
            alert=alert,
            advisor=request.user,
            dealer=request.counter.dealer,
            reason=request.POST.get("reason", "")[:200],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Alert closed: %(alert)s.") % {"alert": alert.get_kind_display()})
    return redirect(f"{vehicle_url(vehicle_id)}#alerts")
