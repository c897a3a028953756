"""A local stand-in for LINE Login (LINE_LOGIN_MODE=fake), so `make run` signs in with "LINE" offline.

It behaves as LINE does where it matters to us: the authorize page refuses an unknown channel, a
callback URL that is not ours, a scope without `openid` or a PKCE method other than S256, and answers
"Cancel" with `error=access_denied`; its codes are single use, valid ten minutes and bound to the
client, callback URL, nonce and PKCE challenge; the token endpoint checks the channel secret and the
PKCE verifier and answers with LINE's JSON (`invalid_client` 401, `invalid_grant` 400) or an ID token
signed HS256 with the channel secret. Never reachable with DEBUG off (a system check refuses
LINE_LOGIN_MODE=fake there, and its pages answer 404 in any other mode).
"""

import hashlib
import json
import secrets
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme

from ..models import FakeLineGrant
from .client import SCOPE, pkce_challenge

CODE_LIFETIME = timedelta(minutes=10)  # LINE: an authorization code is valid for 10 minutes
ID_TOKEN_LIFETIME = timedelta(hours=1)
ACCESS_TOKEN_SECONDS = 30 * 86400


def fake_sub(seed: str) -> str:
    """A LINE-shaped user id ("U" and 32 hex digits), the same for the same seed."""
    return "U" + hashlib.sha256(f"fake-line:{seed}".encode()).hexdigest()[:32]


# LINE users to pick on the stand-in's page (display names as LINE shows them).
FAKE_USERS = [(fake_sub(name), name) for name in ("林美玲", "陳志明", "Alice Wang")]


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str


class FakeAuthorizeRefused(Exception):
    """A request LINE would not send back to the caller (unknown channel, foreign callback URL): LINE
    shows its own error page then, and so does the stand-in."""


def authorize_request_parse(params: Mapping[str, str], *, host: str) -> AuthorizeRequest:
    if params.get("client_id") != settings.LINE_LOGIN_CHANNEL_ID:
        raise FakeAuthorizeRefused("invalid client_id")
    redirect_uri = params.get("redirect_uri", "")
    registered = settings.LINE_LOGIN_REDIRECT_URI
    if registered and redirect_uri != registered:
        raise FakeAuthorizeRefused("redirect_uri does not match the registered callback URL")
    if not registered and not (
        urllib.parse.urlsplit(redirect_uri).path == reverse("portal:line_callback")
        and url_has_allowed_host_and_scheme(redirect_uri, allowed_hosts={host})
        and redirect_uri.startswith(("http://", "https://"))
    ):
        raise FakeAuthorizeRefused("redirect_uri does not match the registered callback URL")
    if params.get("response_type") != "code":
        raise FakeAuthorizeRefused("unsupported response_type")
    if "openid" not in params.get("scope", "").split():
        raise FakeAuthorizeRefused("scope must include openid")
    challenge = params.get("code_challenge", "")
    if challenge and params.get("code_challenge_method") != "S256":
        raise FakeAuthorizeRefused("code_challenge_method must be S256")
    return AuthorizeRequest(
        client_id=params["client_id"],
        redirect_uri=redirect_uri,
        state=params.get("state", ""),
        nonce=params.get("nonce", "")[:255],
        code_challenge=challenge[:128],
    )


def _back(request: AuthorizeRequest, answer: dict[str, str]) -> str:
    separator = "&" if "?" in request.redirect_uri else "?"
    return request.redirect_uri + separator + urllib.parse.urlencode({**answer, "state": request.state})


def fake_authorize_allow(
    request: AuthorizeRequest, *, sub: str, name: str, now: datetime | None = None
) -> str:
    """The LINE user agreed: a new code, and the callback URL the browser is sent back to."""
    now = now or timezone.now()
    grant = FakeLineGrant.objects.create(
        code=secrets.token_urlsafe(24),
        client_id=request.client_id,
        redirect_uri=request.redirect_uri,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        sub=sub,
        name=name[:80],
        created_at=now,
        expires_at=now + CODE_LIFETIME,
    )
    return _back(request, {"code": grant.code})


def fake_authorize_deny(request: AuthorizeRequest) -> str:
    """The LINE user pressed Cancel: LINE's answer, sent to the callback URL."""
    return _back(
        request,
        {"error": "access_denied", "error_description": "The resource owner denied the request."},
    )


def _error(status: int, error: str, description: str) -> tuple[int, dict]:
    return status, {"error": error, "error_description": description}


def fake_token_answer(form: Mapping[str, str], *, now: datetime | None = None) -> tuple[int, dict]:
    """The token endpoint: (HTTP status, JSON answer) for a form POST, as LINE answers it."""
    now = now or timezone.now()
    if form.get("grant_type") != "authorization_code":
        return _error(400, "unsupported_grant_type", "grant_type must be authorization_code")
    if not (
        constant_time_compare(form.get("client_id", ""), settings.LINE_LOGIN_CHANNEL_ID)
        and constant_time_compare(form.get("client_secret", ""), settings.LINE_LOGIN_CHANNEL_SECRET)
    ):
        return _error(401, "invalid_client", "invalid client_id or client_secret")
    with transaction.atomic():
        grant = FakeLineGrant.objects.select_for_update().filter(code=form.get("code", "")).first()
        if grant is None or grant.used_at is not None or now >= grant.expires_at:
            return _error(400, "invalid_grant", "invalid authorization code")
        # A code is spent by any attempt to use it, as LINE does: a thief gets one try at most.
        grant.used_at = now
        grant.save(update_fields=["used_at"])
        if grant.client_id != form.get("client_id") or grant.redirect_uri != form.get("redirect_uri"):
            return _error(400, "invalid_grant", "redirect_uri does not match")
        verifier = form.get("code_verifier", "")
        if grant.code_challenge and not constant_time_compare(pkce_challenge(verifier), grant.code_challenge):
            return _error(400, "invalid_grant", "invalid code_verifier")
    claims = {
        "iss": settings.LINE_LOGIN_ISSUER,
        "sub": grant.sub,
        "aud": grant.client_id,
        "exp": int((now + ID_TOKEN_LIFETIME).timestamp()),
        "iat": int(now.timestamp()),
        "amr": ["linesso"],
        "name": grant.name,
    }
    if grant.nonce:
        claims["nonce"] = grant.nonce
    return 200, {
        "access_token": secrets.token_urlsafe(32),
        "expires_in": ACCESS_TOKEN_SECONDS,
        "id_token": jwt.encode(claims, settings.LINE_LOGIN_CHANNEL_SECRET, algorithm="HS256"),
        "refresh_token": secrets.token_urlsafe(16),
        "scope": SCOPE,
        "token_type": "Bearer",
    }


def fake_transport(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    """The stand-in's token endpoint, called in-process by the client in fake mode (the same answer
    its HTTP view gives: portal.views.fake_line.token)."""
    form = dict(urllib.parse.parse_qsl(body.decode("ascii", "replace"), keep_blank_values=True))
    status, answer = fake_token_answer(form)
    return status, json.dumps(answer).encode()
