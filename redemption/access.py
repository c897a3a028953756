"""Who may use the counter, for which dealer, and for how long without activity.

Every counter view is wrapped in `counter_view`: the user must be signed in and linked to an active
dealer by a `members.DealerStaff` row; that dealer is the scope of every page and action
(`request.counter.dealer`). A session idle longer than COUNTER_IDLE_TIMEOUT_SECONDS is signed out.
"""

import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

from members.models import Dealer, DealerStaff

LAST_SEEN_KEY = "counter_last_seen"


@dataclass(frozen=True)
class CounterContext:
    staff: DealerStaff
    dealer: Dealer

    @property
    def advisor_name(self) -> str:
        return self.staff.display_name or self.staff.user.get_username()


def counter_staff_of(user) -> DealerStaff | None:
    """The user's counter role, if they have one at an active dealer."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    try:
        # Loaded with the user by `members.auth_backends.StaffModelBackend` (no query); a user
        # loaded otherwise (a log-in form) costs one query here.
        staff = user.dealer_staff
    except DealerStaff.DoesNotExist:
        return None
    if not staff.dealer.is_active:
        return None
    return staff


def _touch_granularity() -> int:
    # Writing the session on every request costs a query; refreshing the mark at most every
    # timeout/30 seconds (1 minute for the default 30) keeps the idle limit within a few percent.
    return max(1, min(60, settings.COUNTER_IDLE_TIMEOUT_SECONDS // 30))


def session_mark_active(request, now: float | None = None) -> None:
    request.session[LAST_SEEN_KEY] = int(now if now is not None else time.time())


def _idle_expired(request, now: float) -> bool:
    last_seen = request.session.get(LAST_SEEN_KEY)
    if not isinstance(last_seen, int):
        return False  # signed in elsewhere (e.g. the admin): start the idle clock now
    return now - last_seen > settings.COUNTER_IDLE_TIMEOUT_SECONDS


def counter_view(view):
    """Require a counter user, apply the idle timeout, and set `request.counter`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        now = time.time()
        if _idle_expired(request, now):
            logout(request)
            minutes = max(1, settings.COUNTER_IDLE_TIMEOUT_SECONDS // 60)
            messages.info(
                request,
                _("You were signed out after %(minutes)s minutes without activity. Please sign in again.")
                % {"minutes": minutes},
            )
            return redirect_to_login(request.get_full_path())
        staff = counter_staff_of(request.user)
        if staff is None:
            return render(request, "counter/not_staff.html", status=403)
        last_seen = request.session.get(LAST_SEEN_KEY)
        if not isinstance(last_seen, int) or now - last_seen >= _touch_granularity():
            session_mark_active(request, now)
        request.counter = CounterContext(staff=staff, dealer=staff.dealer)
        response = view(request, *args, **kwargs)
        # Pages carry personal data and one-time tokens: never stored by shared caches.
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return wrapper
