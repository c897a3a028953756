"""The local stand-in for LINE Login's pages (LINE_LOGIN_MODE=fake only; 404 otherwise)."""

import secrets

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..line_login.fake import (
    FAKE_USERS,
    FakeAuthorizeRefused,
    authorize_request_parse,
    fake_authorize_allow,
    fake_authorize_deny,
    fake_sub,
    fake_token_answer,
)

PARAMS = ("response_type", "client_id", "redirect_uri", "state", "scope", "nonce")
PKCE = ("code_challenge", "code_challenge_method")


def _fake_only() -> None:
    if settings.LINE_LOGIN_MODE != "fake":
        raise Http404


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request):
    """LINE's authorize page: pick a LINE user (or a new one) and agree, or cancel."""
    _fake_only()
    params = (request.GET if request.method == "GET" else request.POST).dict()
    try:
        auth = authorize_request_parse(params, host=request.get_host())
    except FakeAuthorizeRefused as exc:
        return render(request, "portal/fake_line_error.html", {"error": str(exc)}, status=400)
    if request.method == "POST":
        if request.POST.get("decision") != "allow":
            return redirect(fake_authorize_deny(auth))
        chosen = request.POST.get("user", "")
        users = dict(FAKE_USERS)
        if chosen in users:
            sub, name = chosen, users[chosen]
        else:  # a LINE user this site has never seen
            sub, name = fake_sub(secrets.token_hex(8)), "LINE 新朋友"
        return redirect(fake_authorize_allow(auth, sub=sub, name=name))
    hidden = {key: params[key] for key in (*PARAMS, *PKCE) if key in params}
    return render(request, "portal/fake_line_authorize.html", {"users": FAKE_USERS, "hidden": hidden})


@csrf_exempt  # our server posts here as it would to api.line.me; the channel secret authenticates it
@require_POST
@never_cache
def token(request):
    _fake_only()
    status, answer = fake_token_answer(request.POST.dict())
    response = JsonResponse(answer, status=status)
    response["Cache-Control"] = "no-store"
    return response
