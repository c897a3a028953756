"""Signing in with a one-time code, and signing out."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from members.exceptions import InvalidPhone, RateLimited
from members.phones import phone_masked
from members.ratelimit import client_ip

from ..auth import LINE_PENDING_KEY, PENDING_PHONE_KEY, owner_sign_in, owner_sign_out, session_owner
from ..exceptions import LoginCodeInvalid, LoginCodeWrong
from ..forms import CodeForm, PhoneForm
from ..line_login.client import line_login_enabled
from ..line_login.services import LINK_REFUSALS, LinePending, line_pending_link
from ..models import LoginCode
from ..services import login_code_request, login_code_verify
from ._common import safe_next, show_error
from .referral import REFERRAL_CODE_KEY, referral_after_sign_up

NEXT_KEY = "portal_next"


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request):
    member, _ran_out = session_owner(request)
    if member is not None:
        return redirect(safe_next(request, request.GET.get("next"), reverse("portal:home")))
    if request.method == "GET" and request.GET.get("next"):
        request.session[NEXT_KEY] = safe_next(request, request.GET["next"], reverse("portal:home"))
    form = PhoneForm(
        request.POST or None, initial={"referral_code": request.session.get(REFERRAL_CODE_KEY, "")}
    )
    line_pending = LinePending.from_session(request.session.get(LINE_PENDING_KEY))
    if request.method == "POST" and line_pending is not None:
        # Linked only if the owner ticks that this LINE account is theirs: on a shared browser
        # someone else's unfinished LINE sign-in must not ride along with their code.
        line_pending = LinePending(**{**line_pending.as_session(), "confirmed": "link_line" in request.POST})
        request.session[LINE_PENDING_KEY] = line_pending.as_session()
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        if form.cleaned_data["referral_code"]:
            request.session[REFERRAL_CODE_KEY] = form.cleaned_data["referral_code"]
        try:
            login_code_request(phone=phone, client_ip=client_ip(request))
        except InvalidPhone as exc:
            form.add_error("phone", exc.message)
        except RateLimited as exc:
            if request.session.get(PENDING_PHONE_KEY) == phone and _open_code_exists(phone):
                # Back-button resubmission: the code sent a moment ago is still good.
                messages.info(request, _("We have just sent you a code. Please use it or wait to ask again."))
                return redirect("portal:sign_in_code")
            form.add_error(None, exc.message)
        else:
            request.session[PENDING_PHONE_KEY] = phone
            return redirect("portal:sign_in_code")
    return render(
        request,
        "portal/sign_in.html",
        {"form": form, "line_enabled": line_login_enabled(), "line_pending": line_pending},
    )


def _open_code_exists(phone: str) -> bool:
    return LoginCode.objects.filter(phone=phone, closed_at__isnull=True).exists()


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_code(request):
    phone = request.session.get(PENDING_PHONE_KEY)
    if not phone:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member, created = login_code_verify(
                phone=phone, code=form.cleaned_data["code"], client_ip=client_ip(request)
            )
        except LoginCodeWrong as exc:
            form.add_error("code", exc.message)
        except (LoginCodeInvalid, RateLimited, InvalidPhone) as exc:
            form.add_error(None, exc.message)
        else:
            target = request.session.pop(NEXT_KEY, None) or reverse("portal:home")
            line_pending = LinePending.from_session(request.session.get(LINE_PENDING_KEY))
            referral_code = request.session.pop(REFERRAL_CODE_KEY, "")
            owner_sign_in(request, member)
            if created and referral_code:  # only a sign-up is referred; a member's sign-in ignores it
                referral_after_sign_up(request, member, referral_code)
            if created:
                messages.success(
                    request, _("Welcome! Add your car with its VIN and plate to see its vouchers.")
                )
            else:
                messages.success(request, _("You are signed in."))
            if line_pending is not None and line_pending.confirmed:
                _line_link(request, member, line_pending)
            return redirect(target)
    return render(request, "portal/sign_in_code.html", {"form": form, "phone_masked": phone_masked(phone)})


def _line_link(request, member, pending: LinePending) -> None:
    """The owner proved their number and said the waiting LINE account is theirs: link it."""
    try:
        line_pending_link(member=member, pending=pending)
    except LINK_REFUSALS as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("Your LINE account is linked. Next time you can sign in with LINE."))


@require_POST
def sign_in_resend(request):
    phone = request.session.get(PENDING_PHONE_KEY)
    if not phone:
        return redirect("portal:sign_in")
    try:
        login_code_request(phone=phone, client_ip=client_ip(request))
    except (RateLimited, InvalidPhone) as exc:
        show_error(request, exc)
    else:
        messages.success(request, _("We sent a new code. The previous code no longer works."))
    return redirect("portal:sign_in_code")


@require_POST
def sign_out(request):
    owner_sign_out(request)
    messages.success(request, _("You have signed out."))
    return redirect("portal:sign_in")
