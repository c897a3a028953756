"""`field__any_of` finds what `field__in` finds, on a plain field, a foreign key and an empty list."""

import pytest

import config.lookups  # noqa: F401
from members.models import Member
from tests.factories import MemberFactory, OwnedVehicleFactory
from vehicles.models import Ownership

pytestmark = pytest.mark.django_db


def test_any_of_matches_in():
    members = [MemberFactory() for _ in range(3)]
    for member in members[:2]:
        OwnedVehicleFactory(owner=member)
    wanted = [members[0].pk, members[2].pk]
    assert set(Member.objects.filter(pk__any_of=wanted)) == set(Member.objects.filter(pk__in=wanted))
    phones = [members[1].phone]
    assert list(Member.objects.filter(phone__any_of=phones)) == [members[1]]
    owned = Ownership.objects.filter(member_id__any_of=wanted).values_list("member_id", flat=True)
    assert list(owned) == [members[0].pk]
    assert not Member.objects.filter(pk__any_of=[]).exists()
