"""Notification preferences: service reminders and marketing consent kept apart, channel, language."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members.models import Channel, ConsentChange, Language
from members.services import member_update_preferences

from ..auth import owner_required
from ..forms import PreferencesForm
from ..idempotency import form_token_ok, idempotency_token
from ..line_login.client import line_login_enabled

HISTORY_SHOWN = 20


@owner_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    member = request.owner
    form = PreferencesForm(request.POST or None, member=member, initial=PreferencesForm.initial_for(member))
    if request.method == "POST" and form.is_valid() and form_token_ok(request, form):
        data = form.cleaned_data
        changes = member_update_preferences(
            member=member,
            source="portal",
            consent_service=data["consent_service"],
            consent_marketing=data["consent_marketing"],
            preferred_channel=data["preferred_channel"],
            language=data["language"],
        )
        if changes:
            messages.success(request, _("Your preferences are saved."))
        else:
            messages.info(request, _("Nothing changed."))
        response = redirect("portal:preferences")
        if any(change.kind == ConsentChange.Kind.LANGUAGE for change in changes):
            # The portal follows the language the owner chose for messages.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                member.language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            )
        return response
    history = [
        {
            "changed_at": change.changed_at,
            "kind": change.get_kind_display(),
            "old": _value_label(change.kind, change.old_value),
            "new": _value_label(change.kind, change.new_value),
            "source": _source_label(change.source),
        }
        for change in ConsentChange.objects.filter(member=member).order_by("-changed_at", "-pk")[
            :HISTORY_SHOWN
        ]
    ]
    return render(
        request,
        "portal/preferences.html",
        {
            "form": form,
            "history": history,
            "member": member,
            "idempotency_token": idempotency_token(),
            "nav": "preferences",
            "line_enabled": line_login_enabled(),
        },
    )


def _value_label(kind: str, value: str) -> str:
    """A recorded value as the owner understands it (True -> On, sms -> SMS, en -> English)."""
    if kind in (ConsentChange.Kind.SERVICE, ConsentChange.Kind.MARKETING):
        return _("On") if value == "True" else _("Off")
    choices = dict(Channel.choices if kind == ConsentChange.Kind.CHANNEL else Language.choices)
    return str(choices.get(value, value))


def _source_label(source: str) -> str:
    """Where a change was made, in the owner's language; other sources (imports) as recorded."""
    labels = {"portal": _("owner portal"), "opt-out link": _("opt-out link in a message")}
    return labels.get(source, source)
