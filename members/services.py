"""Use cases of the members app: owners, their preferences and consents, dealers and staff."""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from .exceptions import (
    ErasureRequestNotPending,
    LineAccountLinkedElsewhere,
    MemberErased,
    MemberLinkedToOtherLine,
)
from .locks import erasure_request_for_update, member_for_update
from .models import Channel, ConsentChange, Dealer, DealerStaff, ErasureRequest, Language, Member, Tier
from .phones import phone_normalise


def member_get_or_create(
    *, phone: str, name: str = "", email: str = "", birthday: date | None = None, tier: int = Tier.CLASSIC
) -> tuple[Member, bool]:
    """Find the member with this phone in any spelling, or create one. Raises InvalidPhone."""
    e164 = phone_normalise(phone)
    with transaction.atomic():
        member, created = Member.objects.get_or_create(
            phone=e164, defaults={"name": name, "email": email, "birthday": birthday, "tier": tier}
        )
    return member, created


def member_tier_set(*, member_id: int, rank: int) -> None:
    """Record the member's tier rank, which the loyalty app decides (claim rules and segments read it
    here). The caller holds the member's points-account lock, so changes of one member serialise."""
    Member.objects.filter(pk=member_id).update(tier=rank)


def member_update_preferences(
    *,
    member: Member,
    source: str,
    consent_service: bool | None = None,
    consent_marketing: bool | None = None,
    preferred_channel: str | None = None,
    language: str | None = None,
) -> list[ConsentChange]:
    """Change notification preferences; every actual change is recorded with its time and source."""
    wanted = {
        ConsentChange.Kind.SERVICE: ("consent_service", consent_service),
        ConsentChange.Kind.MARKETING: ("consent_marketing", consent_marketing),
        ConsentChange.Kind.CHANNEL: ("preferred_channel", preferred_channel),
        ConsentChange.Kind.LANGUAGE: ("language", language),
    }
    if preferred_channel is not None and preferred_channel not in Channel.values:
        raise ValueError(preferred_channel)
    if language is not None and language not in Language.values:
        raise ValueError(language)
    with transaction.atomic():
        locked = member_for_update(member.pk)
        changes = _preferences_apply(locked, wanted, source=source)
    for _kind, (field, _value) in wanted.items():
        setattr(member, field, getattr(locked, field))
    return changes


def _preferences_apply(locked: Member, wanted: dict, *, source: str) -> list[ConsentChange]:
    """Set the wanted preferences on a member locked by the caller, recording each actual change."""
    changes, fields = [], []
    for kind, (field, value) in wanted.items():
        if value is None or getattr(locked, field) == value:
            continue
        changes.append(
            ConsentChange(
                member=locked,
                kind=kind,
                old_value=str(getattr(locked, field)),
                new_value=str(value),
                source=source,
            )
        )
        setattr(locked, field, value)
        fields.append(field)
    if fields:
        locked.save(update_fields=fields)
        ConsentChange.objects.bulk_create(changes)
    return changes


def member_line_link(*, member_id: int, line_user_id: str) -> Member:
    """Link a LINE account (LINE Login's `sub`) to the member, so it signs them in from now on.

    The caller has established that the person holds both: the member's phone (a sign-in code) or
    session, and the LINE account (a verified ID token). Linking the same account again changes
    nothing. Raises MemberErased, MemberLinkedToOtherLine or LineAccountLinkedElsewhere; the
    database's `member_line_user_id_unique` settles two members racing for one LINE account.
    """
    if not line_user_id:
        raise ValueError("line_user_id")
    with transaction.atomic():
        member = member_for_update(member_id)
        if member.erased_at is not None:
            raise MemberErased()
        if member.line_user_id == line_user_id:
            return member
        if member.line_user_id:
            raise MemberLinkedToOtherLine()
        if Member.objects.filter(line_user_id=line_user_id).exclude(pk=member.pk).exists():
            raise LineAccountLinkedElsewhere()
        member.line_user_id = line_user_id
        try:
            with transaction.atomic():
                member.save(update_fields=["line_user_id"])
        except IntegrityError as exc:  # linked to another member between the check and the write
            raise LineAccountLinkedElsewhere() from exc
    return member


def member_line_unlink(*, member_id: int, source: str = "portal") -> bool:
    """Forget the member's LINE account: LINE no longer signs them in nor carries their messages
    (a LINE channel preference falls back to SMS, recorded as a consent change). Whether one was
    linked."""
    with transaction.atomic():
        member = member_for_update(member_id)
        if not member.line_user_id:
            return False
        if member.preferred_channel == Channel.LINE:
            _preferences_apply(
                member, {ConsentChange.Kind.CHANNEL: ("preferred_channel", Channel.SMS)}, source=source
            )
        member.line_user_id = ""
        member.save(update_fields=["line_user_id"])
    return True


def dealer_staff_assign(
    *, user, dealer: Dealer, role: str = DealerStaff.Role.ADVISOR, display_name: str = ""
) -> DealerStaff:
    """Associate a Django user with a dealer (creates or moves the association)."""
    with transaction.atomic():
        staff, _ = DealerStaff.objects.update_or_create(
            user=user, defaults={"dealer": dealer, "role": role, "display_name": display_name}
        )
    return staff


def erasure_request_create(
    *, member: Member, source: str = "portal", now: datetime | None = None
) -> tuple[ErasureRequest, bool]:
    """Record that the member asks for their personal data to be erased; (request, created).

    A member has at most one pending request: asking again returns it. Raises MemberErased.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = member_for_update(member.pk)
        if locked.erased_at is not None:
            raise MemberErased()
        pending = ErasureRequest.objects.filter(member=locked, status=ErasureRequest.Status.PENDING).first()
        if pending is not None:
            return pending, False
        try:
            with transaction.atomic():
                return ErasureRequest.objects.create(member=locked, source=source, requested_at=now), True
        except IntegrityError:  # SQLite without row locks: the other request won; it is the one
            return ErasureRequest.objects.get(member=locked, status=ErasureRequest.Status.PENDING), False


def erasure_request_refuse(
    *, erasure_request: ErasureRequest, actor, reason: str, now: datetime | None = None
) -> ErasureRequest:
    """Operations decline a pending request (e.g. a dispute that needs the data); the owner sees it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = erasure_request_for_update(erasure_request.pk)
        if locked.status != ErasureRequest.Status.PENDING:
            raise ErasureRequestNotPending()
        locked.status = ErasureRequest.Status.REFUSED
        locked.decided_at, locked.decided_by, locked.decision_reason = now, actor, reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    return locked


@dataclass(frozen=True)
class ErasedContact:
    """The addresses a member had before erasure, so higher apps can forget what they keyed on them."""

    member: Member
    phone: str
    email: str
    line_user_id: str


def erased_member_pseudonym(member_id: int) -> str:
    # Stored, so written in the platform's default language (zh-Hant: 已刪除會員 #12).
    with translation.override(settings.LANGUAGE_CODE):
        return gettext("Erased member #%(id)s") % {"id": member_id}


def member_anonymise(
    *, erasure_request: ErasureRequest, actor, reason: str, now: datetime | None = None
) -> ErasedContact:
    """Carry out a pending erasure request on the member itself, inside the caller's transaction
    when there is one: name, phone, e-mail, birthday and LINE id cleared, a pseudonym left, every
    consent withdrawn (recorded in the consent history, which is kept as the law requires).

    Vouchers, orders, ledgers and redemptions keep pointing at the pseudonymised row. Raises
    ErasureRequestNotPending or MemberErased. The returned old addresses are for the caller's
    clean-up in higher apps (outbox, sign-in codes) and must not be stored.
    """
    now = now or timezone.now()
    with transaction.atomic():
        request = erasure_request_for_update(erasure_request.pk)
        if request.status != ErasureRequest.Status.PENDING:
            raise ErasureRequestNotPending()
        member = member_for_update(request.member_id)
        if member.erased_at is not None:
            raise MemberErased()
        contact = ErasedContact(member, member.phone, member.email, member.line_user_id)
        _preferences_apply(
            member,
            {
                ConsentChange.Kind.SERVICE: ("consent_service", False),
                ConsentChange.Kind.MARKETING: ("consent_marketing", False),
            },
            source="erasure",
        )
        member.name = erased_member_pseudonym(member.pk)
        member.phone = member.email = member.line_user_id = ""
        member.birthday = None
        member.identity_verified = False
        member.erased_at = now
        member.save(
            update_fields=[
                "name",
                "phone",
                "email",
                "line_user_id",
                "birthday",
                "identity_verified",
                "erased_at",
            ]
        )
        request.status = ErasureRequest.Status.COMPLETED
        request.decided_at, request.decided_by, request.decision_reason = now, actor, reason
        request.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
    return contact
