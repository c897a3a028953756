"""The opt-out link every promotional message carries: a signed token, no sign-in needed."""

import hashlib
import hmac

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.encoding import force_bytes

from members.models import Member
from members.services import member_update_preferences

from ..exceptions import OptOutLinkInvalid

SALT = "campaigns.opt-out"
MAX_AGE_SECONDS = 400 * 24 * 3600  # a message from last year still works


def opt_out_token(member: Member) -> str:
    return signing.dumps({"m": member.pk}, salt=SALT, compress=True)


def opt_out_url(member: Member) -> str:
    return settings.SITE_URL + reverse("campaigns:opt-out", args=[opt_out_token(member)])


class _BatchSigner(signing.TimestampSigner):
    """`signing.dumps` for many tokens signed in the same second: the derived HMAC key (as
    `salted_hmac` derives it) and the timestamp are computed once, not once per token."""

    def __init__(self):
        super().__init__(salt=SALT)
        self._stamp = super().timestamp()
        derived = hashlib.sha256(force_bytes(self.salt + "signer") + force_bytes(self.key)).digest()
        self._mac = hmac.new(derived, digestmod=hashlib.sha256)

    def timestamp(self) -> str:
        return self._stamp

    def signature(self, value, key=None) -> str:
        mac = self._mac.copy()
        mac.update(force_bytes(value))
        return signing.b64_encode(mac.digest()).decode()


def opt_out_urls(member_ids) -> dict[int, str]:
    """`opt_out_url` of many members at once (a campaign batch): the same links, ~10× faster."""
    signer = _BatchSigner()
    placeholder = "TOKEN"
    before, _sep, after = reverse("campaigns:opt-out", args=[placeholder]).rpartition(placeholder)
    prefix = settings.SITE_URL + before
    return {pk: prefix + signer.sign_object({"m": pk}, compress=True) + after for pk in member_ids}


def opt_out_headers(member: Member) -> dict:
    """RFC 8058 one-click unsubscribe for e-mail clients."""
    return {
        "List-Unsubscribe": f"<{opt_out_url(member)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def opt_out_member(token: str) -> Member:
    """The member a token names. Raises OptOutLinkInvalid."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE_SECONDS)
        return Member.objects.get(pk=int(data["m"]))
    except (signing.BadSignature, Member.DoesNotExist, KeyError, TypeError, ValueError) as exc:
        raise OptOutLinkInvalid() from exc


def member_opt_out(*, token: str) -> Member:
    """Withdraw marketing consent through the link; recorded as a ConsentChange. Idempotent."""
    member = opt_out_member(token)
    member_update_preferences(member=member, source="opt-out link", consent_marketing=False)
    return member
