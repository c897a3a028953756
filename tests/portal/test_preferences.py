"""Notification preferences: separate consents, channels the member really has, language; logged."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from members.models import ConsentChange
from members.services import member_update_preferences
from tests.translation_support import zh_hant_entries

from .conftest import TOKEN, page_messages, sign_in

pytestmark = pytest.mark.django_db


def _save(client, **changes):
    data = {
        "consent_service": "on",
        "preferred_channel": "sms",
        "language": "zh-hant",
        "idempotency_key": TOKEN,
    }
    data.update(changes)
    return client.post(
        reverse("portal:preferences"), {k: v for k, v in data.items() if v is not None}, follow=True
    )


def test_marketing_consent_is_changed_on_its_own_and_recorded(owner, owner_client):
    assert (owner.consent_service, owner.consent_marketing) == (True, False)

    response = _save(owner_client, consent_marketing="on")

    owner.refresh_from_db()
    assert (owner.consent_service, owner.consent_marketing) == (True, True)
    change = ConsentChange.objects.get()
    assert (change.kind, change.old_value, change.new_value, change.source) == (
        "marketing",
        "False",
        "True",
        "portal",
    )
    assert "Your preferences are saved." in page_messages(response)
    assert "Marketing: Off → On" in response.content.decode()


def test_withdrawing_service_reminders_keeps_marketing(owner, owner_client):
    owner.consent_marketing = True
    owner.save()
    _save(owner_client, consent_service=None, consent_marketing="on")
    owner.refresh_from_db()
    assert (owner.consent_service, owner.consent_marketing) == (False, True)
    assert list(ConsentChange.objects.values_list("kind", flat=True)) == ["service"]


def test_saving_without_a_change_records_nothing(owner, owner_client):
    response = _save(owner_client)
    assert not ConsentChange.objects.exists()
    assert "Nothing changed." in page_messages(response)


def test_only_channels_the_member_has_are_offered(owner, owner_client):
    choices = {
        v
        for v, _ in owner_client.get(reverse("portal:preferences"))
        .context["form"]
        .fields["preferred_channel"]
        .choices
    }
    assert choices == {"sms"}
    response = owner_client.post(
        reverse("portal:preferences"),
        {"consent_service": "on", "preferred_channel": "line", "language": "zh-hant"},
    )
    assert response.status_code == 200 and response.context["form"].errors["preferred_channel"]
    owner.refresh_from_db()
    assert owner.preferred_channel == "sms" and not ConsentChange.objects.exists()


def test_linked_line_and_email_become_choices(owner, owner_client):
    owner.email = "owner@example.com"
    owner.line_user_id = "U1234"
    owner.save()
    _save(owner_client, preferred_channel="line")
    owner.refresh_from_db()
    assert owner.preferred_channel == "line"
    assert ConsentChange.objects.get().kind == "channel"


def test_choosing_a_language_also_switches_the_portal(owner, owner_client):
    response = _save(owner_client, language="en")
    owner.refresh_from_db()
    assert owner.language == "en"
    assert owner_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert response.context["LANGUAGE_CODE"] == "en"


def test_consents_are_labelled_checkboxes(owner_client):
    html = owner_client.get(reverse("portal:preferences")).content.decode()
    for field in ("consent_service", "consent_marketing"):
        assert f'<label for="id_{field}">' in html
        assert f'aria-describedby="id_{field}_helptext"' in html


def test_a_form_without_its_token_is_refused(owner, owner_client):
    response = owner_client.post(
        reverse("portal:preferences"),
        {"consent_service": "on", "consent_marketing": "on", "preferred_channel": "sms", "language": "en"},
    )
    assert "This form has expired" in response.content.decode()
    owner.refresh_from_db()
    assert not owner.consent_marketing and not ConsentChange.objects.exists()


def test_where_each_change_was_made_is_said_in_the_owners_language(owner):
    member_update_preferences(member=owner, source="portal", consent_marketing=True)
    member_update_preferences(member=owner, source="opt-out link", consent_marketing=False)
    client = sign_in(Client(headers={"accept-language": "zh-Hant"}), owner)
    with zh_hant_entries({"owner portal": "會員專區", "opt-out link in a message": "訊息中的退訂連結"}):
        html = client.get(reverse("portal:preferences")).content.decode()
    assert "(會員專區)" in html and "(訊息中的退訂連結)" in html
