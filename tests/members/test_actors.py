"""The Actor value: who acted, with ids for decisions and a readable label for the record."""

import dataclasses

import pytest
from django.utils import translation

from members.actors import Actor, ActorKind, actor_display
from tests.factories.members import MemberFactory, UserFactory


@pytest.mark.django_db
def test_each_kind_keeps_its_ids_and_a_readable_label():
    user = UserFactory(username="alice")
    member = MemberFactory()

    assert Actor.operations(user) == Actor(ActorKind.OPERATIONS, name="alice", user_id=user.pk)
    assert Actor.advisor(user).label == "advisor:alice"
    assert Actor.operations(user).label == "admin:alice"
    owner = Actor.owner(member)
    assert (owner.kind, owner.member_id, owner.label) == (ActorKind.OWNER, member.pk, f"owner:{member.pk}")
    assert Actor.system("expire") == Actor(ActorKind.SYSTEM, name="expire")
    assert Actor.system("ownership", user=user).user_id == user.pk


def test_an_api_key_is_known_by_its_id_not_its_name():
    class Key:
        pk, name = 7, "online-shop"

    actor = Actor.api_key(Key())

    assert (actor.kind, actor.api_key_id, actor.label) == (ActorKind.API_KEY, 7, "api:online-shop")
    # Another key that happens to carry the same name is another key.
    assert Actor(ActorKind.API_KEY, name="online-shop", api_key_id=8) != actor


def test_the_value_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Actor.system("expire").kind = ActorKind.OPERATIONS


@pytest.mark.parametrize(
    ("label", "english", "chinese"),
    [
        ("advisor:sa-chen", "Advisor: sa-chen", "服務顧問：sa-chen"),
        ("admin:alice", "Operations: alice", "營運人員：alice"),
        ("api:online-shop", "Partner API: online-shop", "合作夥伴 API：online-shop"),
        ("system:hold-timeout", "System: hold-timeout", "系統：hold-timeout"),
        ("owner:12", "Owner: 12", "車主：12"),
        # Labels written before the Actor value, or by hand, are shown as they are.
        ("bulk:3", "bulk:3", "bulk:3"),
        ("demo", "demo", "demo"),
        ("", "", ""),
    ],
)
def test_stored_labels_read_back_in_the_readers_language(label, english, chinese):
    with translation.override("en"):
        assert actor_display(label) == english
    with translation.override("zh-hant"):
        assert actor_display(label) == chinese


def test_a_stored_label_reads_back_as_the_same_kind_and_name():
    actor = Actor.from_stored("api:dms", user_id=None)

    assert (actor.kind, actor.name, actor.label) == (ActorKind.API_KEY, "dms", "api:dms")
    # Reading back never invents an id: decisions cannot be made on a label.
    assert actor.api_key_id is None
