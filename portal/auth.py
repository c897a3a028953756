"""Owner sessions: owners are members, not Django users, so the portal keeps its own session keys.

A session ends after PORTAL_SESSION_IDLE_SECONDS without a request and, whatever the activity,
PORTAL_SESSION_MAX_AGE_SECONDS after signing in. The session key is rotated on sign-in so a key
planted before signing in (session fixation) is worthless afterwards.
"""

import time
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from members.models import Member

MEMBER_KEY = "portal_member_id"
SIGNED_IN_KEY = "portal_signed_in_at"
LAST_SEEN_KEY = "portal_last_seen_at"
PENDING_PHONE_KEY = "portal_pending_phone"
# Signing in with LINE (portal/line_login): the round trip under way, and a verified LINE account
# waiting for the owner to prove their number before it is linked.
LINE_FLOW_KEY = "portal_line_flow"
LINE_PENDING_KEY = "portal_line_pending"
# Refresh the idle clock at most once a minute, not on every request (each refresh is a write).
LAST_SEEN_RESOLUTION = 60


def owner_sign_in(request, member: Member) -> None:
    if request.user.is_authenticated:
        # One identity per browser session: an owner signing in on a browser where staff are
        # signed in (a counter terminal) ends the staff log-in, so the owner never carries staff
        # rights and signing out later cannot leave a staff session behind.
        logout(request)  # a new, empty session: rotated as well
    else:
        request.session.cycle_key()
    now = int(time.time())
    for key in (PENDING_PHONE_KEY, LINE_FLOW_KEY, LINE_PENDING_KEY):
        request.session.pop(key, None)
    request.session[MEMBER_KEY] = member.pk
    request.session[SIGNED_IN_KEY] = now
    request.session[LAST_SEEN_KEY] = now
    request.session.set_expiry(settings.PORTAL_SESSION_IDLE_SECONDS)


def owner_sign_out(request) -> None:
    request.session.flush()  # the session holds the owner only (see owner_sign_in, owner_session_end)


def owner_session_end(request) -> None:
    """Drop the owner's keys and keep the rest of the session (a staff log-in replaces the owner)."""
    for key in (MEMBER_KEY, SIGNED_IN_KEY, LAST_SEEN_KEY, PENDING_PHONE_KEY, LINE_FLOW_KEY, LINE_PENDING_KEY):
        request.session.pop(key, None)


def session_owner(request, *, now: float | None = None) -> tuple[Member | None, bool]:
    """(the signed-in member or None, whether a session just ran out)."""
    member_id = request.session.get(MEMBER_KEY)
    if not member_id:
        return None, False
    now = int(now if now is not None else time.time())
    last_seen = request.session.get(LAST_SEEN_KEY, 0)
    signed_in = request.session.get(SIGNED_IN_KEY, 0)
    if (
        now - last_seen > settings.PORTAL_SESSION_IDLE_SECONDS
        or now - signed_in > settings.PORTAL_SESSION_MAX_AGE_SECONDS
    ):
        owner_sign_out(request)
        return None, True
    member = Member.objects.filter(pk=member_id).first()
    if member is None or member.erased_at is not None:  # an erased member's sessions end here
        owner_sign_out(request)
        return None, True
    if now - last_seen >= LAST_SEEN_RESOLUTION:
        request.session[LAST_SEEN_KEY] = now
    return member, False


def owner_required(view):
    """Guard a portal page: the signed-in owner is `request.owner`; others go to sign-in."""

    @never_cache
    @wraps(view)
    def guarded(request, *args, **kwargs):
        member, ran_out = session_owner(request)
        if member is None:
            if ran_out:
                messages.info(request, _("Your session has ended. Please sign in again."))
            if request.method == "GET":
                return redirect_to_login(request.get_full_path(), reverse("portal:sign_in"))
            return redirect("portal:sign_in")
        request.owner = member
        return view(request, *args, **kwargs)

    return guarded
