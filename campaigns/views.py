"""The opt-out page: opened from a message, works without signing in.

GET only shows the question (mail scanners open links); POST withdraws the consent. The signed
token is the credential, so the POST needs no CSRF cookie, which also lets e-mail clients use RFC
8058 one-click unsubscribe.
"""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .exceptions import OptOutLinkInvalid
from .services.optout import member_opt_out, opt_out_member


@csrf_exempt
@require_http_methods(["GET", "POST"])
def opt_out(request, token: str):
    try:
        member = opt_out_member(token)
    except OptOutLinkInvalid as exc:
        return render(request, "campaigns/opt_out.html", {"error": exc.message}, status=400)
    with translation.override(member.language):
        if request.method == "POST":
            member = member_opt_out(token=token)
            response = render(request, "campaigns/opt_out.html", {"member": member, "done": True})
        else:
            response = render(request, "campaigns/opt_out.html", {"member": member, "done": False})
        response.headers["Content-Language"] = member.language
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response
