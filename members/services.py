"""Use cases of the members app: owners, their preferences and consents, dealers and staff."""

from datetime import date

from django.db import transaction

from .locks import member_for_update
from .models import Channel, ConsentChange, Dealer, DealerStaff, Language, Member, Tier
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
    changes = []
    with transaction.atomic():
        locked = member_for_update(member.pk)
        fields = []
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
    for _kind, (field, _value) in wanted.items():
        setattr(member, field, getattr(locked, field))
    return changes


def dealer_staff_assign(
    *, user, dealer: Dealer, role: str = DealerStaff.Role.ADVISOR, display_name: str = ""
) -> DealerStaff:
    """Associate a Django user with a dealer (creates or moves the association)."""
    with transaction.atomic():
        staff, _ = DealerStaff.objects.update_or_create(
            user=user, defaults={"dealer": dealer, "role": role, "display_name": display_name}
        )
    return staff
