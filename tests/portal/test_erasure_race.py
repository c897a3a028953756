"""Races against PostgreSQL: erasure requests and erasures serialise on the member and request rows."""

import pytest

from members.exceptions import ErasureRequestNotPending
from members.models import ErasureRequest, Member
from members.services import erasure_request_create
from portal.services import member_erase
from tests.factories import MemberFactory
from tests.redemption.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_ten_simultaneous_requests_record_one():
    member = MemberFactory()
    results = race(10, lambda i: erasure_request_create(member=member))
    assert all(outcome == "ok" for outcome, _ in results)
    assert sum(created for _, (_request, created) in results) == 1
    assert ErasureRequest.objects.filter(member=member).count() == 1


def test_two_operators_erasing_at_once_erase_once():
    member = MemberFactory()
    request, _ = erasure_request_create(member=member)
    results = race(2, lambda i: member_erase(erasure_request=request, actor=None, reason=f"operator {i}"))
    outcomes = sorted(outcome for outcome, _ in results)
    assert outcomes == ["error", "ok"]
    assert all(
        isinstance(value, ErasureRequestNotPending) for outcome, value in results if outcome == "error"
    )
    assert Member.objects.get(pk=member.pk).erased_at is not None
    assert ErasureRequest.objects.get(pk=request.pk).status == "completed"
