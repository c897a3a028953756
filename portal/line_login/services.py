"""Use cases of signing in with LINE: start at LINE, come back from it, link a LINE account.

A LINE account is linked to a member through the member's verified mobile number: the first time a
LINE user signs in, the owner also proves their number with a code by SMS (and ticks that this LINE
account is theirs), then `members.services.member_line_link` records the LINE user id on the member.
Later LINE sign-ins go straight in. A signed-in owner may also link from Settings, where the session
already proves the number. What a browser is in the middle of (the flow, a LINE account waiting to be
linked) lives in its session; the views keep it there as plain dicts.
"""

import secrets
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare

from members.exceptions import LineAccountLinkedElsewhere, MemberErased, MemberLinkedToOtherLine
from members.models import Member
from members.ratelimit import ratelimit_hit
from members.services import member_line_link

from ..exceptions import (
    LineFlowExpired,
    LineLinkNotPending,
    LineProviderError,
    LineSignInCancelled,
    LineStateInvalid,
)
from .client import LineIdentity, line_client, pkce_challenge, pkce_verifier

HOUR = 3600
# Why a LINE account could not be linked to a member (shown to the owner, who stays signed in).
LINK_REFUSALS = (LineAccountLinkedElsewhere, MemberLinkedToOtherLine, MemberErased)


@dataclass(frozen=True)
class LineFlow:
    """One round trip to LINE, kept in the browser's session until LINE sends the browser back."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    started_at: int
    link_member_id: int | None = None  # linking from Settings: the signed-in owner

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object) -> "LineFlow | None":
        try:
            return cls(**data) if isinstance(data, dict) else None
        except TypeError:
            return None


@dataclass(frozen=True)
class LinePending:
    """A verified LINE account that no member has yet, waiting for the owner to prove their number."""

    sub: str
    name: str
    at: int
    confirmed: bool = False  # the owner ticked "link this LINE account" when asking for the code

    def as_session(self) -> dict:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object, *, now: float | None = None) -> "LinePending | None":
        try:
            pending = cls(**data) if isinstance(data, dict) else None
        except TypeError:
            return None
        now = now if now is not None else time.time()
        if pending is None or now - pending.at > settings.LINE_LOGIN_FLOW_SECONDS:
            return None
        return pending


@dataclass(frozen=True)
class LineReturn:
    identity: LineIdentity
    member: Member | None  # the member this LINE account signs in, if it is linked


def _count(kind: str, client_ip: str) -> None:
    ratelimit_hit(
        key=f"portal:line:{kind}:ip:{client_ip}",
        limit=settings.LINE_LOGIN_ATTEMPTS_PER_IP_PER_HOUR,
        window_seconds=HOUR,
    )


def line_sign_in_begin(
    *, redirect_uri: str, client_ip: str, link_member_id: int | None = None, now: float | None = None
) -> tuple[LineFlow, str]:
    """A new round trip to LINE: (the flow to keep in the session, LINE's authorize URL to send the
    browser to). Fresh state (against CSRF), nonce (against ID-token replay) and PKCE verifier (against
    a stolen code). Raises RateLimited or LineLoginUnavailable."""
    client = line_client()
    _count("start", client_ip)
    flow = LineFlow(
        state=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        code_verifier=pkce_verifier(),
        redirect_uri=redirect_uri,
        started_at=int(now if now is not None else time.time()),
        link_member_id=link_member_id,
    )
    url = client.authorize_url(
        redirect_uri=redirect_uri,
        state=flow.state,
        nonce=flow.nonce,
        code_challenge=pkce_challenge(flow.code_verifier),
    )
    return flow, url


def line_sign_in_finish(
    *, flow: LineFlow | None, params: Mapping[str, str], client_ip: str, now: float | None = None
) -> LineReturn:
    """LINE sent the browser back with `params`; `flow` is the one its session held (already taken
    out of it, so an answer is used once). Verifies the answer and the ID token; returns who signed
    in and the member linked to that LINE account, if any. Raises RateLimited, LineStateInvalid,
    LineFlowExpired, LineSignInCancelled, LineProviderError, LineTokenRefused, LineUnreachable or a
    LineIdTokenInvalid."""
    _count("return", client_ip)
    now = now if now is not None else time.time()
    state = params.get("state", "")
    if flow is None or not state or not constant_time_compare(state, flow.state):
        raise LineStateInvalid()
    if now - flow.started_at > settings.LINE_LOGIN_FLOW_SECONDS:
        raise LineFlowExpired()
    error = params.get("error", "")
    if error == "access_denied":
        raise LineSignInCancelled()
    code = params.get("code", "")
    if error or not code:
        raise LineProviderError()
    identity = line_client().identity_for_code(
        code=code, redirect_uri=flow.redirect_uri, code_verifier=flow.code_verifier, nonce=flow.nonce
    )
    member = Member.objects.filter(line_user_id=identity.sub, erased_at__isnull=True).first()
    return LineReturn(identity=identity, member=member)


def line_pending_link(*, member: Member, pending: LinePending | None) -> Member:
    """Link the LINE account waiting in the session to `member`, who has just proved their number
    and agreed. Raises LineLinkNotPending, MemberErased, MemberLinkedToOtherLine or
    LineAccountLinkedElsewhere."""
    if pending is None or not pending.confirmed:
        raise LineLinkNotPending()
    return member_line_link(member_id=member.pk, line_user_id=pending.sub)
