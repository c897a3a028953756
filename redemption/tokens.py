"""One-time form tokens of the counter: signed, timestamped, bound to a user, an action and a target.

Every counter form that changes state carries one. Its random nonce is the idempotency key handed
to the redemption services, so a double click or a browser back-and-resubmit replays the first
result instead of consuming a second use. The signature (django.core.signing, keyed by SECRET_KEY)
makes a token useless for another user, another voucher or another action, and the timestamp lets
a page left open for hours be refused with a clear message instead of acting on stale facts.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

from .exceptions import FormTokenExpired, FormTokenInvalid

_SALT = "redemption.counter.form-token"
_signer = signing.TimestampSigner(salt=_SALT)


@dataclass(frozen=True)
class FormToken:
    nonce: str

    @property
    def idempotency_key(self) -> str:
        return f"counter:{self.nonce}"


def form_token_issue(*, user_id: int, action: str, target: str) -> str:
    """A fresh token for one form: `action` names the use case, `target` the object it acts on."""
    payload = {"u": user_id, "a": action, "t": target, "n": secrets.token_urlsafe(16)}
    return _signer.sign_object(payload)


def form_token_read(
    raw: object, *, user_id: int, action: str, target: str, max_age: int | None = None
) -> FormToken:
    """The token's nonce, or FormTokenExpired / FormTokenInvalid (tampered, foreign, malformed)."""
    if not isinstance(raw, str) or not raw or len(raw) > 1000:
        raise FormTokenInvalid()
    max_age = settings.COUNTER_FORM_TOKEN_MAX_AGE_SECONDS if max_age is None else max_age
    try:
        payload = _signer.unsign_object(raw)
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as exc:
        raise FormTokenInvalid() from exc
    nonce = payload.get("n") if isinstance(payload, dict) else None
    if (
        not isinstance(nonce, str)
        or not nonce
        or payload.get("u") != user_id
        or payload.get("a") != action
        or payload.get("t") != target
    ):
        raise FormTokenInvalid()
    # Genuine and meant for this form: only now does its age matter.
    try:
        _signer.unsign(raw, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise FormTokenExpired() from exc
    return FormToken(nonce=nonce)


def form_token_posted(request, *, action: str, target: str) -> FormToken:
    """The token a counter form posted, read for the signed-in user (see `form_token_read`).

    Views read it after their own look-ups (so an unknown or foreign object stays a 404) and leave
    its refusals to `views._common.form_token_refusals`.
    """
    return form_token_read(request.POST.get("token"), user_id=request.user.pk, action=action, target=target)
