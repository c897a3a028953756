"""Signing in with LINE through the pages, against the local LINE stand-in: the first sign-in links
the LINE account through a code by SMS, later ones go straight in; every refusal has its code."""

import time
import urllib.parse

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import Channel, ConsentChange, Member
from portal.auth import LINE_FLOW_KEY, LINE_PENDING_KEY, MEMBER_KEY
from portal.line_login import fake
from portal.line_login.fake import FAKE_USERS
from tests.factories import MemberFactory

from .conftest import english_client, latest_code, page_messages, sign_in
from .line_helpers import (
    LINE_NAME,
    LINE_SUB,
    line_callback_url,
    line_round_trip,
    refusal_codes,
    resigning_transport,
    to_line,
)

pytestmark = pytest.mark.django_db
PHONE = "+886912345678"


def sms_sign_in(client, *, link: bool = True, phone: str = PHONE):
    data = {"phone": phone, **({"link_line": "1"} if link else {})}
    assert client.post(reverse("portal:sign_in"), data)["Location"] == reverse("portal:sign_in_code")
    return client.post(reverse("portal:sign_in_code"), {"code": latest_code(phone)}, follow=True)


# --- success ----------------------------------------------------------------------------------------


def test_the_line_button_sends_the_browser_to_line_with_state_nonce_and_pkce():
    client = english_client()
    page = client.get(reverse("portal:sign_in")).content.decode()
    assert 'data-test="line-sign-in"' in page

    location = to_line(client)["Location"]

    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    flow = client.session[LINE_FLOW_KEY]
    assert location.startswith(reverse("portal:fake_line_authorize"))
    assert query["response_type"] == "code" and query["scope"] == "openid profile"
    assert query["state"] == flow["state"] and query["nonce"] == flow["nonce"]
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] != flow["code_verifier"]
    assert query["redirect_uri"] == "http://testserver" + reverse("portal:line_callback")


def test_first_line_sign_in_links_through_the_mobile_number_then_line_signs_in_directly():
    member = MemberFactory(phone=PHONE)
    client = english_client()

    response = line_round_trip(client)

    assert response.redirect_chain[-1][0] == reverse("portal:sign_in")
    assert MEMBER_KEY not in client.session  # not signed in: LINE does not tell us the number
    assert any("not linked to a membership yet" in m for m in page_messages(response))
    page = response.content.decode()
    assert 'data-test="line-pending"' in page and LINE_NAME in page

    response = sms_sign_in(client)

    member.refresh_from_db()
    assert member.line_user_id == LINE_SUB
    assert client.session[MEMBER_KEY] == member.pk
    assert LINE_PENDING_KEY not in client.session
    assert "Your LINE account is linked. Next time you can sign in with LINE." in page_messages(response)

    later = english_client()
    response = line_round_trip(later)
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert later.session[MEMBER_KEY] == member.pk
    assert "You are signed in with LINE." in page_messages(response)


def test_a_linked_line_sign_in_rotates_the_session_and_returns_to_the_page_asked_for():
    member = MemberFactory(line_user_id=LINE_SUB)
    client = english_client()
    client.get(reverse("portal:sign_in"), {"next": "/portal/claim/"})
    callback = line_callback_url(client)
    key_before = client.session.session_key

    response = client.get(callback)

    assert response["Location"] == "/portal/claim/"
    assert client.session[MEMBER_KEY] == member.pk
    assert client.session.session_key != key_before
    assert LINE_FLOW_KEY not in client.session


def test_first_sign_in_with_a_new_number_creates_the_member_with_the_line_account():
    client = english_client()
    line_round_trip(client, user="new")
    sms_sign_in(client)
    member = Member.objects.get(phone=PHONE)
    assert member.line_user_id.startswith("U") and len(member.line_user_id) == 33


def test_without_the_box_ticked_the_code_signs_in_but_links_nothing():
    member = MemberFactory(phone=PHONE)
    client = english_client()
    line_round_trip(client)
    sms_sign_in(client, link=False)
    member.refresh_from_db()
    assert client.session[MEMBER_KEY] == member.pk
    assert member.line_user_id == ""


def test_not_my_line_account_forgets_the_waiting_line_account():
    client = english_client()
    line_round_trip(client)
    client.post(reverse("portal:line_pending_cancel"))
    assert LINE_PENDING_KEY not in client.session
    assert 'data-test="line-pending"' not in client.get(reverse("portal:sign_in")).content.decode()


def test_a_waiting_line_account_expires(settings):
    member = MemberFactory(phone=PHONE)
    client = english_client()
    line_round_trip(client)
    session = client.session
    session[LINE_PENDING_KEY] = {**session[LINE_PENDING_KEY], "at": int(time.time()) - 3600}
    session.save()
    sms_sign_in(client)
    member.refresh_from_db()
    assert member.line_user_id == ""


def test_a_signed_in_owner_links_and_unlinks_line_in_settings():
    owner = MemberFactory(preferred_channel=Channel.SMS)
    client = sign_in(english_client(), owner)
    page = client.get(reverse("portal:preferences")).content.decode()
    assert 'data-test="line-link"' in page

    response = line_round_trip(client, start={"intent": "link"})

    assert response.redirect_chain[-1][0] == reverse("portal:preferences")
    owner.refresh_from_db()
    assert owner.line_user_id == LINE_SUB
    assert 'data-test="line-unlink"' in response.content.decode()

    owner.preferred_channel = Channel.LINE
    owner.save(update_fields=["preferred_channel"])
    response = client.post(reverse("portal:line_unlink"), follow=True)

    owner.refresh_from_db()
    assert owner.line_user_id == "" and owner.preferred_channel == Channel.SMS
    change = ConsentChange.objects.get(member=owner)
    assert (change.kind, change.old_value, change.new_value) == ("channel", "line", "sms")
    assert any("unlinked" in m for m in page_messages(response))


def test_unlink_needs_a_signed_in_owner():
    member = MemberFactory(line_user_id=LINE_SUB)
    response = english_client().post(reverse("portal:line_unlink"))
    assert response["Location"] == reverse("portal:sign_in")
    member.refresh_from_db()
    assert member.line_user_id == LINE_SUB


def test_line_is_not_offered_when_turned_off(settings):
    settings.LINE_LOGIN_MODE = "off"
    client = english_client()
    assert 'data-test="line-sign-in"' not in client.get(reverse("portal:sign_in")).content.decode()
    response = client.post(reverse("portal:line_start"), follow=True)
    assert refusal_codes(response) == ["line_login_unavailable"]


# --- mismatch --------------------------------------------------------------------------------------


def test_a_member_linked_to_another_line_account_is_not_relinked():
    member = MemberFactory(phone=PHONE, line_user_id=FAKE_USERS[1][0])
    client = english_client()
    line_round_trip(client)

    response = sms_sign_in(client)

    member.refresh_from_db()
    assert member.line_user_id == FAKE_USERS[1][0]
    assert client.session[MEMBER_KEY] == member.pk  # the code proved the number: signed in all the same
    assert refusal_codes(response) == ["member_linked_to_other_line"]


def test_a_line_account_of_another_member_is_not_linked_from_settings():
    MemberFactory(line_user_id=LINE_SUB)
    owner = MemberFactory()
    client = sign_in(english_client(), owner)

    response = line_round_trip(client, start={"intent": "link"})

    owner.refresh_from_db()
    assert owner.line_user_id == ""
    assert refusal_codes(response) == ["line_account_linked_elsewhere"]


def test_a_line_account_taken_while_the_code_was_on_its_way_is_not_linked():
    member = MemberFactory(phone=PHONE)
    client = english_client()
    line_round_trip(client)
    MemberFactory(line_user_id=LINE_SUB)  # linked elsewhere meanwhile

    response = sms_sign_in(client)

    member.refresh_from_db()
    assert member.line_user_id == ""
    assert refusal_codes(response) == ["line_account_linked_elsewhere"]


def test_an_erased_members_line_account_signs_nobody_in():
    # Erasure clears the LINE id (members.services.member_anonymise); a row that kept one still
    # signs nobody in.
    MemberFactory(phone="", line_user_id=LINE_SUB, erased_at=timezone.now())
    client = english_client()
    response = line_round_trip(client)
    assert MEMBER_KEY not in client.session
    assert response.redirect_chain[-1][0] == reverse("portal:sign_in")


# --- refusals ----------------------------------------------------------------------------------------


def _refused(client, url, code: str) -> None:
    signed_in_before = client.session.get(MEMBER_KEY)
    response = client.get(url, follow=True)
    assert refusal_codes(response) == [code]
    assert client.session.get(MEMBER_KEY) == signed_in_before
    assert response.redirect_chain[0][0] == reverse("portal:sign_in")


def test_an_answer_for_a_sign_in_this_browser_never_started_is_refused():
    MemberFactory(line_user_id=LINE_SUB)
    victim = english_client()
    callback = line_callback_url(english_client())  # the attacker's own round trip, stopped short
    _refused(victim, callback, "line_state_invalid")


def test_a_changed_state_is_refused():
    MemberFactory(line_user_id=LINE_SUB)
    client = english_client()
    callback = line_callback_url(client)
    _refused(client, callback.replace("state=", "state=x"), "line_state_invalid")


def test_an_answer_is_used_once():
    MemberFactory(line_user_id=LINE_SUB)
    client = english_client()
    callback = line_callback_url(client)
    client.get(callback)
    client.post(reverse("portal:sign_out"))
    _refused(client, callback, "line_state_invalid")


def test_a_replayed_code_is_refused_by_line():
    MemberFactory(line_user_id=LINE_SUB)
    client = english_client()
    callback = line_callback_url(client)
    flow = client.session[LINE_FLOW_KEY]
    client.get(callback)
    session = client.session
    session[LINE_FLOW_KEY] = flow  # even with the flow back in the session, LINE spent the code
    session.save()
    _refused(client, callback, "line_token_refused")


def test_cancelling_on_line_is_refused_with_its_own_message():
    client = english_client()
    response = line_round_trip(client, decision="cancel")
    assert refusal_codes(response) == ["line_cancelled"]
    assert any("You cancelled signing in with LINE" in m for m in page_messages(response))


def test_another_error_from_line_is_refused():
    client = english_client()
    callback = line_callback_url(client)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["state"]
    url = (
        reverse("portal:line_callback")
        + "?"
        + urllib.parse.urlencode({"error": "server_error", "state": state})
    )
    _refused(client, url, "line_provider_error")


def test_a_round_trip_that_took_too_long_is_refused():
    client = english_client()
    callback = line_callback_url(client)
    session = client.session
    session[LINE_FLOW_KEY] = {**session[LINE_FLOW_KEY], "started_at": int(time.time()) - 3600}
    session.save()
    _refused(client, callback, "line_flow_expired")


def test_a_wrong_pkce_verifier_is_refused_by_line():
    MemberFactory(line_user_id=LINE_SUB)
    client = english_client()
    callback = line_callback_url(client)
    session = client.session
    session[LINE_FLOW_KEY] = {**session[LINE_FLOW_KEY], "code_verifier": "x" * 64}
    session.save()
    _refused(client, callback, "line_token_refused")


def test_line_refusing_our_channel_secret_is_refused(settings, monkeypatch):
    client = english_client()
    callback = line_callback_url(client)
    real = fake.fake_transport
    monkeypatch.setattr(
        fake,
        "fake_transport",
        lambda url, body, timeout: real(url, body.replace(b"client_secret=", b"client_secret=x"), timeout),
    )
    _refused(client, callback, "line_token_refused")


@pytest.mark.parametrize("failure", ["unreachable", "server_error"])
def test_line_unreachable_or_failing_is_refused(monkeypatch, failure):
    def transport(url, body, timeout):
        if failure == "unreachable":
            raise TimeoutError("timed out")
        return 502, b"<html>Bad gateway</html>"

    client = english_client()
    callback = line_callback_url(client)
    monkeypatch.setattr(fake, "fake_transport", transport)
    _refused(client, callback, "line_unreachable")


@pytest.mark.parametrize(
    ("forgery", "code"),
    [
        ({"secret": "another-channel-secret-of-32-bytes!"}, "line_id_token_signature"),
        ({"aud": "9999999999"}, "line_id_token_audience"),
        ({"iss": "https://access.line.me.evil.example"}, "line_id_token_issuer"),
        ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, "line_id_token_expired"),
        ({"nonce": "a-nonce-from-another-sign-in"}, "line_id_token_nonce"),
        ({"sub": ""}, "line_id_token_malformed"),
        ({"algorithm": "HS512"}, "line_id_token_signature"),  # the right key, but not LINE's algorithm
    ],
)
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_an_id_token_that_fails_a_check_signs_nobody_in(monkeypatch, forgery, code):
    MemberFactory(line_user_id=LINE_SUB)
    client = english_client()
    callback = line_callback_url(client)
    monkeypatch.setattr(fake, "fake_transport", resigning_transport(**forgery))
    _refused(client, callback, code)


def test_line_sign_ins_are_rate_limited_per_address(settings, one_rate_limit_window):
    settings.LINE_LOGIN_ATTEMPTS_PER_IP_PER_HOUR = 2
    client = english_client()
    to_line(client)
    to_line(client)
    response = client.post(reverse("portal:line_start"), follow=True)
    assert refusal_codes(response) == ["rate_limited"]
    assert LINE_FLOW_KEY in client.session  # the earlier round trip is still the one under way


def test_the_line_button_reads_in_taiwanese_chinese(client):
    page = client.get(reverse("portal:sign_in")).content.decode()
    assert "使用 LINE 登入" in page


def test_the_link_box_keeps_the_owners_choice_when_the_number_is_refused():
    client = english_client()
    line_round_trip(client)
    page = client.post(reverse("portal:sign_in"), {"phone": "12"}).content.decode()
    assert 'name="link_line"' in page and 'id="id_link_line" value="1" checked' not in page
    page = client.post(reverse("portal:sign_in"), {"phone": "12", "link_line": "1"}).content.decode()
    assert 'id="id_link_line" value="1" checked' in page
