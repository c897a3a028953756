"""The local stand-in for LINE Login behaves as LINE does (refusals, single-use expiring codes, PKCE,
signed ID tokens), serves its token endpoint over real HTTP, and is unreachable outside fake mode."""

import json
import urllib.parse
from datetime import timedelta

import jwt
import pytest
from django.urls import reverse
from django.utils import timezone

from portal.exceptions import LineTokenRefused
from portal.line_login.client import LineLoginClient, pkce_challenge, pkce_verifier
from portal.line_login.fake import AuthorizeRequest, fake_authorize_allow
from portal.models import FakeLineGrant

from .line_helpers import LINE_NAME, LINE_SUB

pytestmark = pytest.mark.django_db
CALLBACK = "http://testserver/portal/sign-in/line/callback/"


def authorize_params(settings, **changes) -> dict:
    params = {
        "response_type": "code",
        "client_id": settings.LINE_LOGIN_CHANNEL_ID,
        "redirect_uri": CALLBACK,
        "state": "s" * 20,
        "scope": "openid profile",
        "nonce": "n" * 20,
        "code_challenge": pkce_challenge("v" * 50),
        "code_challenge_method": "S256",
    }
    return {key: value for key, value in {**params, **changes}.items() if value is not None}


@pytest.mark.parametrize(
    "changes",
    [
        {"client_id": "1111111111"},
        {"redirect_uri": "https://evil.example/portal/sign-in/line/callback/"},
        {"redirect_uri": "http://testserver/portal/"},
        {"scope": "profile"},
        {"response_type": "token"},
        {"code_challenge_method": "plain"},
    ],
)
def test_the_authorize_page_refuses_what_line_refuses(client, settings, changes):
    response = client.get(reverse("portal:fake_line_authorize"), authorize_params(settings, **changes))
    assert response.status_code == 400
    assert 'data-test="fake-line-error"' in response.content.decode()


def test_cancel_answers_access_denied_with_the_state(client, settings):
    response = client.post(
        reverse("portal:fake_line_authorize"), {**authorize_params(settings), "decision": "cancel"}
    )
    answer = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(response["Location"]).query))
    assert answer == {
        "error": "access_denied",
        "error_description": "The resource owner denied the request.",
        "state": "s" * 20,
    }


def _grant(settings, *, verifier: str, now=None) -> str:
    request = AuthorizeRequest(
        client_id=settings.LINE_LOGIN_CHANNEL_ID,
        redirect_uri=CALLBACK,
        state="s",
        nonce="the-nonce",
        code_challenge=pkce_challenge(verifier),
    )
    location = fake_authorize_allow(request, sub=LINE_SUB, name=LINE_NAME, now=now)
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["code"]


def _token(client, settings, the_code: str, **changes):
    form = {
        "grant_type": "authorization_code",
        "code": the_code,
        "redirect_uri": CALLBACK,
        "client_id": settings.LINE_LOGIN_CHANNEL_ID,
        "client_secret": settings.LINE_LOGIN_CHANNEL_SECRET,
        "code_verifier": "v" * 50,
        **changes,
    }
    response = client.post(reverse("portal:fake_line_token"), form)
    return response.status_code, json.loads(response.content)


def test_the_token_endpoint_answers_an_id_token_signed_with_the_channel_secret(client, settings):
    status, answer = _token(client, settings, _grant(settings, verifier="v" * 50))
    assert status == 200 and answer["token_type"] == "Bearer"
    claims = jwt.decode(
        answer["id_token"],
        settings.LINE_LOGIN_CHANNEL_SECRET,
        algorithms=["HS256"],
        audience=settings.LINE_LOGIN_CHANNEL_ID,
        issuer="https://access.line.me",
    )
    assert (claims["sub"], claims["nonce"], claims["name"]) == (LINE_SUB, "the-nonce", LINE_NAME)


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "1111111111"}, 401, "invalid_client"),
        ({"grant_type": "refresh_token"}, 400, "unsupported_grant_type"),
        ({"redirect_uri": "http://testserver/portal/other/"}, 400, "invalid_grant"),
        ({"code_verifier": "w" * 50}, 400, "invalid_grant"),
        ({"code_verifier": ""}, 400, "invalid_grant"),
        ({"code": "no-such-code"}, 400, "invalid_grant"),
    ],
)
def test_the_token_endpoint_refuses_as_line_does(client, settings, changes, status, error):
    code = _grant(settings, verifier="v" * 50)
    got_status, answer = _token(client, settings, code, **changes)
    assert (got_status, answer["error"]) == (status, error)


def test_a_code_is_single_use_even_after_a_failed_attempt(client, settings):
    code = _grant(settings, verifier="v" * 50)
    assert _token(client, settings, code)[0] == 200
    assert _token(client, settings, code) == (
        400,
        {"error": "invalid_grant", "error_description": "invalid authorization code"},
    )
    code = _grant(settings, verifier="v" * 50)
    assert _token(client, settings, code, code_verifier="w" * 50)[0] == 400
    assert _token(client, settings, code)[0] == 400  # a thief's wrong guess spent it


def test_a_code_expires_after_ten_minutes(client, settings):
    code = _grant(settings, verifier="v" * 50, now=timezone.now() - timedelta(minutes=10, seconds=1))
    assert _token(client, settings, code)[1]["error"] == "invalid_grant"
    assert FakeLineGrant.objects.get(code=code).used_at is None


@pytest.mark.parametrize("mode", ["line", "off"])
def test_the_stand_in_is_unreachable_outside_fake_mode(client, settings, mode):
    settings.LINE_LOGIN_MODE = mode
    assert client.get(reverse("portal:fake_line_authorize"), authorize_params(settings)).status_code == 404
    assert client.post(reverse("portal:fake_line_token"), {}).status_code == 404


def test_the_client_speaks_http_to_the_token_endpoint(live_server, settings):
    """The real transport (urllib) against the stand-in served over HTTP: what production does with LINE."""
    verifier = pkce_verifier()
    code = _grant(settings, verifier=verifier)
    line = LineLoginClient(
        channel_id=settings.LINE_LOGIN_CHANNEL_ID,
        channel_secret=settings.LINE_LOGIN_CHANNEL_SECRET,
        authorize_url="unused",
        token_url=live_server.url + reverse("portal:fake_line_token"),
        issuer=settings.LINE_LOGIN_ISSUER,
    )
    identity = line.identity_for_code(
        code=code, redirect_uri=CALLBACK, code_verifier=verifier, nonce="the-nonce"
    )
    assert (identity.sub, identity.name) == (LINE_SUB, LINE_NAME)
    with pytest.raises(LineTokenRefused):  # the HTTP 400 invalid_grant of a replay
        line.exchange_code(code=code, redirect_uri=CALLBACK, code_verifier=verifier)
