"""The one-question satisfaction survey, opened from a message without signing in.

The link's random token is the credential (single use, expiring); GET only shows the question, since
mail scanners and link previews open links.
"""

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from campaigns.services.nps import nps_survey_answer, nps_survey_by_token
from config.errors import DomainError
from members.actors import Actor, ActorKind


@require_http_methods(["GET", "POST"])
def survey(request, token: str):
    try:
        open_survey = nps_survey_by_token(token)
    except DomainError as exc:
        return _page(request, {"error": exc.message}, status=exc.http_status)
    with translation.override(open_survey.member.language):
        if request.method == "GET":
            return _page(request, {"survey": open_survey, "scores": range(11)})
        try:
            score = int(request.POST.get("score", ""))
        except ValueError:
            score = -1
        try:
            nps_survey_answer(
                token=token,
                score=score,
                comment=request.POST.get("comment", ""),
                actor=Actor(kind=ActorKind.OWNER, member_id=open_survey.member_id),
            )
        except DomainError as exc:
            return _page(
                request,
                {"survey": open_survey, "scores": range(11), "error": exc.message},
                status=exc.http_status,
            )
        return _page(request, {"done": True})


def _page(request, context: dict, status: int = 200):
    response = render(request, "portal/survey.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
