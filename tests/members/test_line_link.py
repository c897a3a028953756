"""Linking a LINE account to a member: one LINE account per member and one member per LINE account."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from members.exceptions import LineAccountLinkedElsewhere, MemberErased, MemberLinkedToOtherLine
from members.models import Channel, ConsentChange, Member
from members.services import member_line_link, member_line_unlink
from tests.factories import MemberFactory

SUB = "U" + "a" * 32
OTHER_SUB = "U" + "b" * 32


@pytest.mark.django_db
def test_link_records_the_line_user_id_and_linking_again_changes_nothing():
    member = MemberFactory()
    member_line_link(member_id=member.pk, line_user_id=SUB)
    member_line_link(member_id=member.pk, line_user_id=SUB)
    member.refresh_from_db()
    assert member.line_user_id == SUB


@pytest.mark.django_db
def test_a_member_with_another_line_account_is_refused():
    member = MemberFactory(line_user_id=OTHER_SUB)
    with pytest.raises(MemberLinkedToOtherLine):
        member_line_link(member_id=member.pk, line_user_id=SUB)
    member.refresh_from_db()
    assert member.line_user_id == OTHER_SUB


@pytest.mark.django_db
def test_a_line_account_of_another_member_is_refused():
    MemberFactory(line_user_id=SUB)
    member = MemberFactory()
    with pytest.raises(LineAccountLinkedElsewhere):
        member_line_link(member_id=member.pk, line_user_id=SUB)
    member.refresh_from_db()
    assert member.line_user_id == ""


@pytest.mark.django_db
def test_an_erased_member_is_refused():
    member = MemberFactory(phone="", erased_at=timezone.now())
    with pytest.raises(MemberErased):
        member_line_link(member_id=member.pk, line_user_id=SUB)


@pytest.mark.django_db
def test_the_database_holds_one_member_per_line_account():
    MemberFactory(line_user_id=SUB)
    MemberFactory(line_user_id="")
    MemberFactory(line_user_id="")  # many members without LINE
    with pytest.raises(IntegrityError), transaction.atomic():
        MemberFactory(line_user_id=SUB)


@pytest.mark.django_db
def test_unlink_forgets_the_line_account_and_a_line_channel_falls_back_to_sms():
    member = MemberFactory(line_user_id=SUB, preferred_channel=Channel.LINE)
    assert member_line_unlink(member_id=member.pk, source="portal") is True
    member.refresh_from_db()
    assert (member.line_user_id, member.preferred_channel) == ("", Channel.SMS)
    change = ConsentChange.objects.get(member=member)
    assert (change.kind, change.new_value, change.source) == ("channel", "sms", "portal")
    assert member_line_unlink(member_id=member.pk) is False


@pytest.mark.django_db
def test_unlink_keeps_another_channel_as_it_is():
    member = MemberFactory(line_user_id=SUB, preferred_channel=Channel.SMS)
    member_line_unlink(member_id=member.pk)
    member.refresh_from_db()
    assert member.preferred_channel == Channel.SMS
    assert not ConsentChange.objects.filter(member=member).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_members_linking_one_line_account_at_once_give_it_to_one():
    members = [MemberFactory(), MemberFactory(), MemberFactory(), MemberFactory()]
    barrier = threading.Barrier(len(members))
    outcomes = [""] * len(members)

    def link(i):
        try:
            barrier.wait()
            member_line_link(member_id=members[i].pk, line_user_id=SUB)
            outcomes[i] = "ok"
        except LineAccountLinkedElsewhere:
            outcomes[i] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=link, args=(i,)) for i in range(len(members))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["ok", "refused", "refused", "refused"]
    assert Member.objects.filter(line_user_id=SUB).count() == 1
