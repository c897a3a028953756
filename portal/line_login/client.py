"""The adapter for LINE Login v2.1: OpenID Connect's authorization code flow with PKCE (S256).

LINE's authorize page (access.line.me) hands the browser back a code; the token endpoint
(api.line.me) exchanges it, with the channel secret and the PKCE verifier, for an ID token: a JWT
signed HS256 with the channel secret. Everything sent to LINE and checked in its answers is here;
the rest of the portal sees a LineIdentity or a LineLoginError with a stable code.

The transport (one form POST) is injectable: in fake mode it is the local stand-in's token endpoint
called in-process, so `make run` needs no network and no second server.
"""

import base64
import hashlib
import json
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

import jwt
from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from ..exceptions import (
    LineIdTokenAudience,
    LineIdTokenExpired,
    LineIdTokenInvalid,
    LineIdTokenIssuer,
    LineIdTokenNonce,
    LineIdTokenSignature,
    LineLoginUnavailable,
    LineTokenRefused,
    LineUnreachable,
)

logger = logging.getLogger(__name__)

SCOPE = "openid profile"
# (url, urlencoded form body, timeout seconds) -> (HTTP status, response body)
Transport = Callable[[str, bytes, float], tuple[int, bytes]]
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class LineIdentity:
    """Who LINE says signed in: the user id (`sub`, the same for our Messaging API channel) and the
    LINE display name (shown to the owner when linking, never stored)."""

    sub: str
    name: str


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 S256: BASE64URL(SHA256(verifier)) without padding (LINE supports only S256)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_verifier() -> str:
    return secrets.token_urlsafe(64)  # 86 characters of [A-Za-z0-9-_], within RFC 7636's 43-128


def http_post(url: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(url)
    request = urllib.request.Request(  # noqa: S310 (http(s) only, above)
        url, data=body, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read(MAX_ANSWER_BYTES)
    except urllib.error.HTTPError as exc:  # 4xx/5xx carry LINE's JSON error
        return exc.code, exc.read(MAX_ANSWER_BYTES)


class LineLoginClient:
    def __init__(
        self,
        *,
        channel_id: str,
        channel_secret: str,
        authorize_url: str,
        token_url: str,
        issuer: str,
        transport: Transport | None = None,
        timeout: float = 10.0,
        leeway: int = 60,
    ):
        if not (channel_id and channel_secret):
            raise LineLoginUnavailable()
        self.channel_id = channel_id
        self.channel_secret = channel_secret
        self._authorize_url = authorize_url
        self.token_url = token_url
        self.issuer = issuer
        self.transport = transport or http_post
        self.timeout = timeout
        self.leeway = leeway

    def authorize_url(self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str) -> str:
        query = urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": self.channel_id,
                "redirect_uri": redirect_uri,
                "state": state,
                "scope": SCOPE,
                "nonce": nonce,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            },
            quote_via=urllib.parse.quote,
        )
        return f"{self._authorize_url}?{query}"

    def exchange_code(self, *, code: str, redirect_uri: str, code_verifier: str) -> str:
        """The ID token for an authorization code. Raises LineTokenRefused or LineUnreachable."""
        body = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.channel_id,
                "client_secret": self.channel_secret,
                "code_verifier": code_verifier,
            }
        ).encode("ascii")
        try:
            status, raw = self.transport(self.token_url, body, self.timeout)
        except OSError as exc:  # refused, reset, timed out, DNS
            logger.warning("LINE token endpoint unreachable: %s", exc)
            raise LineUnreachable() from exc
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = {}
        if not isinstance(answer, dict):
            answer = {}
        if status != 200 or not isinstance(answer.get("id_token"), str):
            # invalid_grant: code used before, expired, other redirect_uri or PKCE verifier.
            logger.info("LINE refused the code: %s %s", status, str(answer.get("error", ""))[:80])
            if status >= 500:
                raise LineUnreachable()
            raise LineTokenRefused()
        return answer["id_token"]

    def verify_id_token(self, id_token: str, *, nonce: str) -> LineIdentity:
        """Check the ID token as LINE prescribes: HS256 with the channel secret, issuer, audience,
        expiry and the nonce we sent. Each failure raises its own LineIdTokenInvalid."""
        try:
            claims = jwt.decode(
                id_token,
                self.channel_secret,
                algorithms=["HS256"],  # pinned: never "none", never whatever the header says
                audience=self.channel_id,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError) as exc:
            raise LineIdTokenSignature() from exc
        except jwt.InvalidAudienceError as exc:
            raise LineIdTokenAudience() from exc
        except jwt.InvalidIssuerError as exc:
            raise LineIdTokenIssuer() from exc
        except jwt.ExpiredSignatureError as exc:
            raise LineIdTokenExpired() from exc
        except jwt.InvalidTokenError as exc:  # not a JWT, a claim missing or of the wrong type
            raise LineIdTokenInvalid() from exc
        if not constant_time_compare(str(claims.get("nonce", "")), nonce) or not nonce:
            raise LineIdTokenNonce()
        sub = claims["sub"]
        if not isinstance(sub, str) or not sub or len(sub) > 64:
            raise LineIdTokenInvalid()
        name = claims.get("name")
        return LineIdentity(sub=sub, name=name[:80] if isinstance(name, str) else "")

    def identity_for_code(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> LineIdentity:
        id_token = self.exchange_code(code=code, redirect_uri=redirect_uri, code_verifier=code_verifier)
        return self.verify_id_token(id_token, nonce=nonce)


def line_login_enabled() -> bool:
    return settings.LINE_LOGIN_MODE in ("line", "fake")


def line_client() -> LineLoginClient:
    """The client the settings choose; in fake mode LINE is the local stand-in (portal/line_login/fake.py)."""
    mode = settings.LINE_LOGIN_MODE
    if mode not in ("line", "fake"):
        raise LineLoginUnavailable()
    authorize_url, token_url, transport = (
        settings.LINE_LOGIN_AUTHORIZE_URL,
        settings.LINE_LOGIN_TOKEN_URL,
        None,
    )
    if mode == "fake":
        from .fake import fake_transport

        authorize_url = reverse("portal:fake_line_authorize")
        token_url = reverse("portal:fake_line_token")
        transport = fake_transport
    return LineLoginClient(
        channel_id=settings.LINE_LOGIN_CHANNEL_ID,
        channel_secret=settings.LINE_LOGIN_CHANNEL_SECRET,
        authorize_url=authorize_url,
        token_url=token_url,
        issuer=settings.LINE_LOGIN_ISSUER,
        transport=transport,
        timeout=settings.LINE_LOGIN_HTTP_TIMEOUT_SECONDS,
        leeway=settings.LINE_LOGIN_LEEWAY_SECONDS,
    )
