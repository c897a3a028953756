"""The opt-out link every promotional message carries: a signed token, no sign-in needed."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from members.models import Member
from members.services import member_update_preferences

from ..exceptions import OptOutLinkInvalid

SALT = "campaigns.opt-out"
MAX_AGE_SECONDS = 400 * 24 * 3600  # a message from last year still works


def opt_out_token(member: Member) -> str:
    return signing.dumps({"m": member.pk}, salt=SALT, compress=True)


def opt_out_url(member: Member) -> str:
    return settings.SITE_URL + reverse("campaigns:opt-out", args=[opt_out_token(member)])


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
