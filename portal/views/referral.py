"""Refer a friend: the owner's code, link and QR code, the friends they referred; the link a friend
opens carries the code into sign-up (the session), where a new member's referral is recorded once."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.errors import DomainError
from loyalty.exceptions import ReferralCodeUnknown
from loyalty.models import Programme
from loyalty.referral_codes import referral_code_clean
from loyalty.selectors import referral_code_owner, referral_overview
from loyalty.services import referral_code_issue, referral_record

from ..auth import owner_required, session_owner
from ..qr import referral_qr_svg
from ._common import show_error

REFERRAL_CODE_KEY = "portal_referral_code"


@owner_required
@require_GET
def referral(request):
    code = referral_code_issue(member=request.owner).code
    link = request.build_absolute_uri(reverse("portal:referral_link", args=[code]))
    overview = referral_overview(request.owner, code=code)
    programme = Programme.current()
    return render(
        request,
        "portal/referral.html",
        {
            "overview": overview,
            "link": link,
            "qr": referral_qr_svg(link, code),
            "programme": programme,
            "rewards_offered": _rewards_offered(programme),
            "nav": "referral",
        },
    )


def _reward_text(points: int, definition) -> str:
    parts = [_("%(points)s points") % {"points": f"{points:,}"}] if points else []
    if definition is not None:
        parts.append(definition.card_title or definition.name)
    if len(parts) == 2:
        return _("%(first)s and %(second)s") % {"first": parts[0], "second": parts[1]}
    return parts[0] if parts else ""


def _rewards_offered(programme: Programme) -> str:
    mine = _reward_text(programme.referrer_points, programme.referrer_definition)
    theirs = _reward_text(programme.friend_points, programme.friend_definition)
    if mine and theirs:
        return _("You receive %(mine)s; your friend receives %(theirs)s.") % {"mine": mine, "theirs": theirs}
    if mine or theirs:
        return (
            (_("You receive %(mine)s.") % {"mine": mine})
            if mine
            else (_("Your friend receives %(theirs)s.") % {"theirs": theirs})
        )
    return ""


@never_cache
@require_GET
def referral_link(request, code: str):
    """A friend opened a referral link: keep the code for their sign-up (signed-in members have
    signed up already: the link changes nothing for them)."""
    member, _ran_out = session_owner(request)
    if member is not None:
        messages.info(request, _("You are a member already: referral links are for new members."))
        return redirect("portal:home")
    clean = referral_code_clean(code)
    if referral_code_owner(clean) is None:
        show_error(request, ReferralCodeUnknown())
        return redirect("portal:sign_in")
    request.session[REFERRAL_CODE_KEY] = clean
    messages.info(
        request,
        _(
            "A friend invited you. Sign in with your mobile number to become a member; "
            "your first car or purchase rewards you both."
        ),
    )
    return redirect("portal:sign_in")


def referral_after_sign_up(request, member, code: str) -> None:
    """A new member signed up with a friend's code: record who referred them, once."""
    try:
        referral_record(friend=member, code=code)
    except DomainError as exc:  # logged by the service
        show_error(request, exc)
    else:
        messages.success(request, _("Thank you for joining through a friend's invitation."))
