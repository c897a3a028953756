"""Use cases owned by the portal: signing an owner in with a one-time code sent by SMS, and carrying
out an erasure of personal data (it reaches into the outbox and sign-in codes, which sit above members).

Everything else an owner does (claim, activate, refund, bind, preferences) is a use case of a lower
app; the portal's views call those services directly.
"""

import ipaddress
import re
import secrets
import unicodedata
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from campaigns.models import Notification
from campaigns.services import notification_queue
from campaigns.services.retention import notifications_forget_member
from members.exceptions import RateLimited
from members.models import ErasureRequest, Member
from members.phones import phone_normalise, phone_region
from members.ratelimit import ratelimit_hit
from members.services import member_anonymise, member_get_or_create
from vehicles.models import BindingRequest
from vehicles.services import binding_request_reject, vehicles_forget_registered_phone

from .exceptions import LoginCodeInvalid, LoginCodeWrong, SignInRegionNotServed
from .locks import open_login_code_for_update
from .models import LoginCode

CODE_DIGITS = 6
_NOT_DIGITS = re.compile(r"\D+")
HOUR = 3600


def _code_hash(*, salt: str, phone: str, code: str) -> str:
    # Keyed with SECRET_KEY: a copy of the table alone does not let anyone try the million codes.
    return salted_hmac("portal.LoginCode", f"{salt}:{phone}:{code}", algorithm="sha256").hexdigest()


def login_code_clean(raw: object) -> str:
    """The digits of a typed code (full-width digits, spaces and dashes allowed)."""
    if not isinstance(raw, str):
        return ""
    return _NOT_DIGITS.sub("", unicodedata.normalize("NFKC", raw[:40]))


def _sms_body(code: str, minutes: int, language: str) -> str:
    with translation.override(language):
        return gettext(
            "Your sign-in code is %(code)s. It is valid for %(minutes)s minutes. "
            "Never tell this code to anyone, including our staff."
        ) % {"code": code, "minutes": minutes}


def sign_in_phone(raw: str) -> str:
    """The E.164 form of a number an owner may sign in with: a mobile number (the code goes by SMS)
    of a region we serve. Raises InvalidPhone or SignInRegionNotServed."""
    e164 = phone_normalise(raw)
    if settings.PORTAL_SIGN_IN_REGIONS and phone_region(e164) not in settings.PORTAL_SIGN_IN_REGIONS:
        raise SignInRegionNotServed()
    return e164


def login_code_request(*, phone: str, client_ip: str, now: datetime | None = None) -> LoginCode:
    """Send a new sign-in code to `phone` through the notification outbox.

    The answer is the same whether or not a member has this number, so the form cannot be used to
    find out who is a customer. Raises InvalidPhone (also for landlines) or RateLimited.
    """
    now = now or timezone.now()
    ratelimit_hit(
        key=f"portal:code:ip:{client_ip}",
        limit=settings.PORTAL_CODE_REQUESTS_PER_IP_PER_HOUR,
        window_seconds=HOUR,
        now=now,
    )
    e164 = sign_in_phone(phone)
    latest = LoginCode.objects.filter(phone=e164, closed_at__isnull=True).values_list("created_at", flat=True)
    resend_at = [created + timedelta(seconds=settings.PORTAL_CODE_RESEND_SECONDS) for created in latest]
    if resend_at and now < resend_at[0]:
        raise RateLimited(retry_after=max(1, int((resend_at[0] - now).total_seconds())))
    ratelimit_hit(
        key=f"portal:code:phone:{e164}",
        limit=settings.PORTAL_CODE_REQUESTS_PER_PHONE_PER_HOUR,
        window_seconds=HOUR,
        now=now,
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(16)
    ttl = settings.PORTAL_LOGIN_CODE_TTL_SECONDS
    try:
        with transaction.atomic():
            LoginCode.objects.select_for_update().filter(phone=e164, closed_at__isnull=True).update(
                closed_at=now, closed_reason=LoginCode.Closed.SUPERSEDED
            )
            login_code = LoginCode.objects.create(
                phone=e164,
                salt=salt,
                code_hash=_code_hash(salt=salt, phone=e164, code=code),
                max_attempts=settings.PORTAL_LOGIN_CODE_MAX_ATTEMPTS,
                client_ip=_ip_or_none(client_ip),
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
            )
            member = Member.objects.filter(phone=e164).first()
            language = member.language if member else translation.get_language() or settings.LANGUAGE_CODE
            notification_queue(
                channel="sms",
                recipient=e164,
                purpose=Notification.Purpose.LOGIN_CODE,
                body=_sms_body(code, max(1, ttl // 60), language),
                dedup_key=f"login_code:{login_code.pk}",
                member=member,
                language=language if language in ("zh-hant", "en") else settings.LANGUAGE_CODE,
            )
    except IntegrityError as exc:
        # Another request for the same number won the race for the one open code.
        raise RateLimited(retry_after=settings.PORTAL_CODE_RESEND_SECONDS) from exc
    return login_code


def login_code_verify(
    *, phone: str, code: str, client_ip: str, now: datetime | None = None
) -> tuple[Member, bool]:
    """Check a typed code; on success return (member, created) for the number.

    A wrong code costs one attempt (counted even though the call fails); the last allowed wrong
    attempt closes the code. Raises InvalidPhone, RateLimited, LoginCodeWrong or LoginCodeInvalid.
    """
    now = now or timezone.now()
    ratelimit_hit(
        key=f"portal:verify:ip:{client_ip}",
        limit=settings.PORTAL_VERIFY_ATTEMPTS_PER_IP_PER_HOUR,
        window_seconds=HOUR,
        now=now,
    )
    e164 = phone_normalise(phone)
    typed = login_code_clean(code)
    refusal: Exception | None = None
    with transaction.atomic():
        row = open_login_code_for_update(e164)
        if row is None:
            refusal = LoginCodeInvalid()
        elif now >= row.expires_at:
            _close(row, LoginCode.Closed.EXPIRED, now)
            refusal = LoginCodeInvalid()
        elif not constant_time_compare(_code_hash(salt=row.salt, phone=e164, code=typed), row.code_hash):
            row.attempts += 1
            if row.attempts >= row.max_attempts:
                row.closed_at, row.closed_reason = now, LoginCode.Closed.TOO_MANY_ATTEMPTS
                refusal = LoginCodeInvalid()
            else:
                refusal = LoginCodeWrong(attempts_left=row.max_attempts - row.attempts)
            row.save(update_fields=["attempts", "closed_at", "closed_reason"])
        else:
            _close(row, LoginCode.Closed.USED, now)
    # Raised after the block so the attempt just counted is committed, not rolled back.
    if refusal is not None:
        raise refusal
    return member_get_or_create(phone=e164)


def _close(row: LoginCode, reason: str, now: datetime) -> None:
    row.closed_at, row.closed_reason = now, reason
    row.save(update_fields=["closed_at", "closed_reason"])


def _ip_or_none(client_ip: str) -> str | None:
    try:
        return str(ipaddress.ip_address(client_ip))
    except ValueError:
        return None


def login_codes_prune(
    *, older_than: timedelta = timedelta(days=1), now: datetime | None = None, batch_size: int | None = None
) -> int:
    """Delete codes that expired more than `older_than` ago (a closed code expires too); returns how
    many went. With `batch_size`, at most that many (a nightly job's slice calls it again)."""
    now = now or timezone.now()
    rows = LoginCode.objects.filter(expires_at__lt=now - older_than)
    if batch_size is not None:
        rows = LoginCode.objects.filter(
            pk__in=list(rows.order_by("pk").values_list("pk", flat=True)[:batch_size])
        )
    deleted, _ = rows.delete()
    return deleted


def member_erase(
    *, erasure_request: ErasureRequest, actor, reason: str, now: datetime | None = None
) -> Member:
    """Carry out a pending erasure request, in one transaction: the member is pseudonymised
    (members.services.member_anonymise), their sign-in codes are deleted, the outbox forgets their
    messages' text and addresses, sales records forget their number and pending binding requests
    are rejected. Their portal sessions end on the next request (portal.auth.session_owner).

    Vouchers, ledgers, redemptions, orders, refunds and the consent history stay as they are.
    Raises ErasureRequestNotPending or MemberErased.
    """
    now = now or timezone.now()
    with transaction.atomic():
        contact = member_anonymise(erasure_request=erasure_request, actor=actor, reason=reason, now=now)
        if contact.phone:
            LoginCode.objects.filter(phone=contact.phone).delete()
        notifications_forget_member(
            member=contact.member, addresses=[contact.phone, contact.email, contact.line_user_id], now=now
        )
        vehicles_forget_registered_phone(phone=contact.phone)
        pending = BindingRequest.objects.filter(member=contact.member, status=BindingRequest.Status.PENDING)
        for binding in pending.order_by("pk"):
            binding_request_reject(request=binding, actor=actor, reason="personal data erased", now=now)
    return contact.member
