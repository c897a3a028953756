"""Erasure requests and the anonymisation of the member row itself (members layer only)."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from members.exceptions import ErasureRequestNotPending, MemberErased
from members.models import ConsentChange, ErasureRequest, Member
from members.services import (
    erasure_request_create,
    erasure_request_refuse,
    member_anonymise,
    member_get_or_create,
    member_update_preferences,
)
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member():
    return MemberFactory(
        name="王小明",
        email="ming@example.tw",
        birthday="1980-05-01",
        line_user_id="U1234",
        consent_marketing=True,
        identity_verified=True,
    )


def test_a_request_is_recorded_pending_and_asking_again_returns_the_same_one(member):
    first, created = erasure_request_create(member=member)
    again, created_again = erasure_request_create(member=member)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and first.status == ErasureRequest.Status.PENDING
    assert ErasureRequest.objects.filter(member=member).count() == 1


def test_the_database_allows_one_pending_request_per_member(member):
    erasure_request_create(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.create(member=member, requested_at=timezone.now())


def test_after_a_refusal_the_owner_may_ask_again(member):
    first, _ = erasure_request_create(member=member)
    erasure_request_refuse(erasure_request=first, actor=UserFactory(), reason="open dispute")
    second, created = erasure_request_create(member=member)
    assert created and second.pk != first.pk


def test_refusing_a_decided_request_is_refused(member):
    request, _ = erasure_request_create(member=member)
    erasure_request_refuse(erasure_request=request, actor=None, reason="dispute")
    with pytest.raises(ErasureRequestNotPending):
        erasure_request_refuse(erasure_request=request, actor=None, reason="again")


def test_anonymise_clears_identity_keeps_a_pseudonym_and_records_withdrawn_consents(member):
    phone = member.phone
    request, _ = erasure_request_create(member=member)
    actor = UserFactory()
    contact = member_anonymise(erasure_request=request, actor=actor, reason="owner asked")

    assert (contact.phone, contact.email, contact.line_user_id) == (phone, "ming@example.tw", "U1234")
    member.refresh_from_db()
    assert member.erased_at is not None
    assert (member.phone, member.email, member.line_user_id, member.birthday) == ("", "", "", None)
    assert str(member.pk) in member.name and "王" not in member.name
    assert member.name_masked == member.name
    assert (member.consent_service, member.consent_marketing, member.identity_verified) == (
        False,
        False,
        False,
    )
    withdrawn = ConsentChange.objects.filter(member=member, source="erasure")
    assert {(c.kind, c.new_value) for c in withdrawn} == {("service", "False"), ("marketing", "False")}
    request.refresh_from_db()
    assert (request.status, request.decided_by, request.decision_reason) == (
        "completed",
        actor,
        "owner asked",
    )


def test_the_consent_history_from_before_the_erasure_is_kept(member):
    member_update_preferences(member=member, source="portal", consent_service=False)
    request, _ = erasure_request_create(member=member)
    member_anonymise(erasure_request=request, actor=None, reason="asked")
    assert ConsentChange.objects.filter(member=member, source="portal").count() == 1


def test_two_erased_members_do_not_collide_on_the_cleared_phone_and_the_number_is_free_again():
    phones = []
    for _ in range(2):
        member = MemberFactory()
        phones.append(member.phone)
        request, _ = erasure_request_create(member=member)
        member_anonymise(erasure_request=request, actor=None, reason="asked")
    assert Member.objects.filter(phone="").count() == 2
    newcomer, created = member_get_or_create(phone=phones[0])
    assert created and newcomer.erased_at is None


def test_the_database_refuses_a_blank_phone_on_a_member_not_erased(member):
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=member.pk).update(phone="")


def test_the_database_still_refuses_a_duplicate_phone(member):
    other = MemberFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.filter(pk=other.pk).update(phone=member.phone)


def test_anonymising_twice_is_refused(member):
    request, _ = erasure_request_create(member=member)
    member_anonymise(erasure_request=request, actor=None, reason="asked")
    with pytest.raises(ErasureRequestNotPending):
        member_anonymise(erasure_request=request, actor=None, reason="again")
    # A request that slipped in for a member already erased (e.g. recorded before a merge) is refused too.
    stray = ErasureRequest.objects.create(member=member, requested_at=timezone.now())
    with pytest.raises(MemberErased):
        member_anonymise(erasure_request=stray, actor=None, reason="again")


def test_an_erased_member_cannot_ask_for_erasure_again(member):
    request, _ = erasure_request_create(member=member)
    member_anonymise(erasure_request=request, actor=None, reason="asked")
    with pytest.raises(MemberErased):
        erasure_request_create(member=member)
