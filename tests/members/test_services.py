"""members.services: finding or creating members by phone, and recording consent changes."""

import pytest

from members.exceptions import InvalidPhone
from members.models import Channel, ConsentChange, Language, Member, Tier
from members.services import member_get_or_create, member_update_preferences
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_creates_a_member_stored_in_e164():
    member, created = member_get_or_create(phone="0912-345-678", name="王小明", tier=Tier.GOLD)

    assert created is True
    member.refresh_from_db()
    assert member.phone == "+886912345678"
    assert member.name == "王小明"
    assert member.tier == Tier.GOLD


@pytest.mark.parametrize(
    "spelling", ["0912345678", "+886 912 345 678", "０９１２３４５６７８", "0912 345 678", "+886-912-345-678"]
)
def test_finds_the_same_member_whatever_the_spelling(spelling):
    first, created_first = member_get_or_create(phone="0912-345-678", name="王小明")

    again, created_again = member_get_or_create(phone=spelling, name="Someone else")

    assert created_first is True
    assert created_again is False
    assert again.pk == first.pk
    assert again.name == "王小明"  # an existing member is found, not overwritten
    assert Member.objects.count() == 1


def test_two_numbers_make_two_members():
    a, _ = member_get_or_create(phone="0912-345-678")
    b, _ = member_get_or_create(phone="0912-345-679")

    assert a.pk != b.pk
    assert Member.objects.count() == 2


@pytest.mark.parametrize("phone", ["", "12345", "not a phone", "02-2345-6789", "0912-345-6789"])
def test_invalid_phone_is_refused_and_creates_nothing(phone):
    with pytest.raises(InvalidPhone):
        member_get_or_create(phone=phone, name="x")

    assert Member.objects.count() == 0


def test_preferences_record_one_consent_change_per_actual_change():
    member = MemberFactory(
        consent_service=True,
        consent_marketing=False,
        preferred_channel=Channel.SMS,
        language=Language.ZH_HANT,
    )

    changes = member_update_preferences(
        member=member,
        source="portal",
        consent_service=False,
        consent_marketing=True,
        preferred_channel=Channel.LINE,
        language=Language.EN,
    )

    assert len(changes) == 4
    stored = {c.kind: c for c in ConsentChange.objects.filter(member=member)}
    assert set(stored) == {
        ConsentChange.Kind.SERVICE,
        ConsentChange.Kind.MARKETING,
        ConsentChange.Kind.CHANNEL,
        ConsentChange.Kind.LANGUAGE,
    }
    assert (stored["service"].old_value, stored["service"].new_value) == ("True", "False")
    assert (stored["marketing"].old_value, stored["marketing"].new_value) == ("False", "True")
    assert (stored["channel"].old_value, stored["channel"].new_value) == ("sms", "line")
    assert (stored["language"].old_value, stored["language"].new_value) == ("zh-hant", "en")
    assert all(c.source == "portal" for c in stored.values())
    assert all(c.changed_at is not None for c in stored.values())

    member.refresh_from_db()
    assert member.consent_service is False
    assert member.consent_marketing is True
    assert member.preferred_channel == Channel.LINE
    assert member.language == Language.EN


def test_preferences_only_record_what_changed():
    member = MemberFactory(consent_service=True, consent_marketing=False, preferred_channel=Channel.SMS)

    changes = member_update_preferences(
        member=member,
        source="admin",
        consent_service=True,  # unchanged
        consent_marketing=True,  # changed
        preferred_channel=Channel.SMS,  # unchanged
    )

    assert [c.kind for c in changes] == [ConsentChange.Kind.MARKETING]
    assert ConsentChange.objects.filter(member=member).count() == 1


def test_a_no_op_update_records_nothing():
    member = MemberFactory(consent_service=True, consent_marketing=False, preferred_channel=Channel.EMAIL)

    first = member_update_preferences(
        member=member, source="portal", consent_service=True, consent_marketing=False
    )
    nothing = member_update_preferences(member=member, source="portal")

    assert first == []
    assert nothing == []
    assert ConsentChange.objects.filter(member=member).count() == 0


def test_repeating_a_change_records_it_once():
    member = MemberFactory(consent_marketing=False)

    member_update_preferences(member=member, source="portal", consent_marketing=True)
    member_update_preferences(member=member, source="portal", consent_marketing=True)

    assert ConsentChange.objects.filter(member=member, kind=ConsentChange.Kind.MARKETING).count() == 1


def test_the_passed_member_object_reflects_the_new_preferences():
    member = MemberFactory(consent_marketing=False)

    member_update_preferences(member=member, source="portal", consent_marketing=True)

    assert member.consent_marketing is True


def test_preferences_updated_from_a_stale_object_compare_with_the_stored_values():
    member = MemberFactory(consent_marketing=False)
    stale = Member.objects.get(pk=member.pk)
    member_update_preferences(member=member, source="portal", consent_marketing=True)

    changes = member_update_preferences(member=stale, source="admin", consent_marketing=True)

    assert changes == []
    assert stale.consent_marketing is True
    assert ConsentChange.objects.filter(member=member).count() == 1


@pytest.mark.parametrize(
    "kwargs", [{"preferred_channel": "fax"}, {"language": "fr"}], ids=["channel", "language"]
)
def test_unknown_channel_or_language_is_refused_and_changes_nothing(kwargs):
    member = MemberFactory(consent_marketing=False)

    with pytest.raises(ValueError):
        member_update_preferences(member=member, source="portal", consent_marketing=True, **kwargs)

    member.refresh_from_db()
    assert member.consent_marketing is False
    assert ConsentChange.objects.filter(member=member).count() == 0
