"""Driving a LINE sign-in through the pages, with the local LINE stand-in (LINE_LOGIN_MODE=fake)."""

import json
import urllib.parse

import jwt
from django.conf import settings
from django.urls import reverse

from portal.line_login import fake
from portal.line_login.fake import FAKE_USERS

LINE_SUB, LINE_NAME = FAKE_USERS[0]


def to_line(client, data=None):
    """Press the LINE button; the response sends the browser to (the stand-in for) LINE."""
    response = client.post(reverse("portal:line_start"), data or {})
    assert response.status_code == 302, response
    return response


def at_line(client, authorize_url: str, *, decision: str = "allow", user: str = LINE_SUB) -> str:
    """On LINE's page: agree (as `user`) or cancel; returns the callback URL LINE sends the browser to."""
    assert client.get(authorize_url).status_code == 200
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorize_url).query))
    response = client.post(
        reverse("portal:fake_line_authorize"), {**params, "decision": decision, "user": user}
    )
    assert response.status_code == 302
    return response["Location"]


def line_round_trip(client, *, decision: str = "allow", user: str = LINE_SUB, start=None, follow=True):
    """Start, agree on LINE, come back: the response to the callback (followed by default)."""
    callback = at_line(client, to_line(client, start)["Location"], decision=decision, user=user)
    return client.get(callback, follow=follow)


def line_callback_url(client, *, decision: str = "allow", user: str = LINE_SUB, start=None) -> str:
    return at_line(client, to_line(client, start)["Location"], decision=decision, user=user)


def resigning_transport(*, secret: str | None = None, algorithm: str = "HS256", **claims):
    """LINE's token endpoint (the stand-in), but the ID token it answers is re-signed with other
    claims or another key: what a forged or misdirected token looks like to us."""
    real = fake.fake_transport

    def transport(url, body, timeout):
        status, raw = real(url, body, timeout)
        answer = json.loads(raw)
        token_claims = jwt.decode(answer["id_token"], options={"verify_signature": False})
        token_claims.update(claims)
        key = secret if secret is not None else settings.LINE_LOGIN_CHANNEL_SECRET
        answer["id_token"] = jwt.encode(token_claims, key, algorithm=algorithm)
        return status, json.dumps(answer).encode()

    return transport


def refusal_codes(response) -> list[str]:
    """The stable codes of the refusals shown on the page (portal.views._common.show_error)."""
    return [
        tag[len("code-") :]
        for message in response.context["messages"]
        for tag in message.extra_tags.split()
        if tag.startswith("code-")
    ]
