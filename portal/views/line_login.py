"""Signing in with LINE: start, come back, link after a code by SMS, unlink from Settings."""

import time

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from members.exceptions import RateLimited
from members.ratelimit import client_ip
from members.services import member_line_link, member_line_unlink

from ..auth import LINE_FLOW_KEY, LINE_PENDING_KEY, owner_required, owner_sign_in, session_owner
from ..exceptions import LineLoginError, LineStateInvalid
from ..line_login.services import (
    LINK_REFUSALS,
    LineFlow,
    LinePending,
    line_sign_in_begin,
    line_sign_in_finish,
)
from ._common import show_error
from .auth import NEXT_KEY


def _redirect_uri(request) -> str:
    # Must be the callback URL registered for the channel, byte for byte, at both ends of the flow.
    return settings.LINE_LOGIN_REDIRECT_URI or request.build_absolute_uri(reverse("portal:line_callback"))


@never_cache
@require_POST
def line_start(request):
    owner, _ran_out = session_owner(request)
    linking = owner is not None and request.POST.get("intent") == "link"
    if owner is not None and not linking:
        return redirect("portal:home")
    try:
        flow, url = line_sign_in_begin(
            redirect_uri=_redirect_uri(request),
            client_ip=client_ip(request),
            link_member_id=owner.pk if linking else None,
        )
    except (RateLimited, LineLoginError) as exc:
        show_error(request, exc)
        return redirect("portal:preferences" if linking else "portal:sign_in")
    request.session[LINE_FLOW_KEY] = flow.as_session()
    return redirect(url)


@never_cache
@require_GET
def line_callback(request):
    # Taken out of the session whatever happens next: one answer from LINE per round trip.
    flow = LineFlow.from_session(request.session.pop(LINE_FLOW_KEY, None))
    linking = flow is not None and flow.link_member_id is not None
    try:
        result = line_sign_in_finish(flow=flow, params=request.GET.dict(), client_ip=client_ip(request))
    except (RateLimited, LineLoginError) as exc:
        show_error(request, exc)
        return redirect("portal:preferences" if linking else "portal:sign_in")
    if linking:
        return _link_signed_in_owner(request, flow, result.identity.sub)
    if result.member is not None:
        target = request.session.pop(NEXT_KEY, None) or reverse("portal:home")
        owner_sign_in(request, result.member)
        messages.success(request, _("You are signed in with LINE."))
        return redirect(target)
    pending = LinePending(sub=result.identity.sub, name=result.identity.name, at=int(time.time()))
    request.session[LINE_PENDING_KEY] = pending.as_session()
    messages.info(
        request,
        _(
            "This LINE account is not linked to a membership yet. Sign in once with your mobile number "
            "to link it; after that, LINE signs you in directly."
        ),
    )
    return redirect("portal:sign_in")


def _link_signed_in_owner(request, flow: LineFlow, sub: str):
    owner, _ran_out = session_owner(request)
    if owner is None or owner.pk != flow.link_member_id:  # signed out or someone else meanwhile
        show_error(request, LineStateInvalid())
        return redirect("portal:sign_in")
    try:
        member_line_link(member_id=owner.pk, line_user_id=sub)
    except LINK_REFUSALS as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Your LINE account is linked. Next time you can sign in with LINE."))
    return redirect("portal:preferences")


@require_POST
def line_pending_cancel(request):
    """ "Not my LINE account": forget the LINE account waiting to be linked in this browser."""
    request.session.pop(LINE_PENDING_KEY, None)
    return redirect("portal:sign_in")


@owner_required
@require_POST
def line_unlink(request):
    if member_line_unlink(member_id=request.owner.pk, source="portal"):
        messages.success(request, _("Your LINE account is unlinked. Sign in with a code by SMS from now on."))
    else:
        messages.info(request, _("No LINE account is linked."))
    return redirect("portal:preferences")
