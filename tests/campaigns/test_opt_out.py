"""The opt-out link works without signing in and records the consent change."""

import pytest
from django.test import Client

from campaigns.services import opt_out_url
from members.models import ConsentChange
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return url.split("127.0.0.1:8000", 1)[-1] if "127.0.0.1:8000" in url else "/" + url.split("/", 3)[3]


def test_get_asks_and_changes_nothing():
    member = MemberFactory(consent_marketing=True)
    response = Client().get(path_of(opt_out_url(member)))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page and member.name in page
    assert response.headers["Cache-Control"] == "no-store"
    member.refresh_from_db()
    assert member.consent_marketing is True


def test_post_withdraws_marketing_consent_without_csrf_or_sign_in():
    member = MemberFactory(consent_marketing=True, consent_service=True, language="en")
    client = Client(enforce_csrf_checks=True)
    response = client.post(path_of(opt_out_url(member)))
    assert response.status_code == 200
    assert "no longer receive marketing messages" in response.content.decode()
    member.refresh_from_db()
    assert member.consent_marketing is False and member.consent_service is True
    change = ConsentChange.objects.get(member=member)
    assert (change.kind, change.old_value, change.new_value, change.source) == (
        "marketing",
        "True",
        "False",
        "opt-out link",
    )
    client.post(path_of(opt_out_url(member)))  # again: nothing more to record
    assert ConsentChange.objects.filter(member=member).count() == 1


@pytest.mark.parametrize("token", ["nonsense", "eyJtIjoxfQ:1tampered:sig"])
def test_a_forged_or_broken_token_is_refused(token):
    member = MemberFactory(consent_marketing=True)
    response = Client().post(f"/notifications/opt-out/{token}/")
    assert response.status_code == 400
    member.refresh_from_db()
    assert member.consent_marketing is True


def test_token_of_one_member_cannot_be_edited_into_another():
    first, second = MemberFactory(consent_marketing=True), MemberFactory(consent_marketing=True)
    token = path_of(opt_out_url(first)).rstrip("/").rsplit("/", 1)[-1]
    forged = token.replace(str(first.pk), str(second.pk))
    Client().post(f"/notifications/opt-out/{forged}/")
    second.refresh_from_db()
    assert second.consent_marketing is True


def test_links_made_for_a_batch_are_the_links_made_one_by_one(monkeypatch):
    import time

    from campaigns.services.optout import opt_out_member, opt_out_urls

    members = [MemberFactory(), MemberFactory()]
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)  # both made in the same second
    batch = opt_out_urls([m.pk for m in members])
    assert batch == {m.pk: opt_out_url(m) for m in members}
    token = batch[members[1].pk].rstrip("/").rsplit("/", 1)[-1]
    monkeypatch.undo()
    assert opt_out_member(token) == members[1]
