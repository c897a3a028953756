"""Who acted: the one value every service records in the ledger and on redemptions.

An `Actor` carries a kind and the ids of the party (a user, a member, an API key); decisions such
as "did this key make this redemption" compare those ids, never text. What is stored is the user
foreign key where there is a user, the API-key foreign key on redemptions, and `actor_label`, a
short text kept readable for people (`advisor:sa-chen`, `api:online-shop`, `system:expire`).
`Actor.from_stored` reads a stored label back for display only.

It lives in members, the lowest app, because every party it can name is known from here upward
(API keys belong to redemption; the value only holds their id and name).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ActorKind(models.TextChoices):
    """The kinds of actor; each value is also the prefix of the stored label."""

    OPERATIONS = "admin", pgettext_lazy("actor", "Operations")
    ADVISOR = "advisor", _("Advisor")
    OWNER = "owner", _("Owner")
    API_KEY = "api", _("Partner API")
    SYSTEM = "system", pgettext_lazy("actor", "System")


@dataclass(frozen=True)
class Actor:
    kind: ActorKind | str  # "" only for a stored label of no known kind (read back for display)
    # The person or system's name as recorded: a username, an API key's name, a job's name.
    name: str = ""
    user_id: int | None = None
    member_id: int | None = None
    api_key_id: int | None = None

    # --- who ----------------------------------------------------------------------------------

    @classmethod
    def operations(cls, user) -> "Actor":
        """A back-office user acting in the Django admin."""
        return cls(ActorKind.OPERATIONS, name=user.get_username(), user_id=user.pk)

    @classmethod
    def advisor(cls, user) -> "Actor":
        """A dealer's staff member at the counter."""
        return cls(ActorKind.ADVISOR, name=user.get_username(), user_id=user.pk)

    @classmethod
    def owner(cls, member) -> "Actor":
        """A member (owner or driver) acting in the portal."""
        return cls(ActorKind.OWNER, name=str(member.pk), member_id=member.pk)

    @classmethod
    def api_key(cls, api_key) -> "Actor":
        """A partner system through its API key (names are unique and never change)."""
        return cls(ActorKind.API_KEY, name=api_key.name, api_key_id=api_key.pk)

    @classmethod
    def system(cls, job: str, *, user=None) -> "Actor":
        """A job or a rule of the system; `user` when a person's action set it off."""
        return cls(ActorKind.SYSTEM, name=job, user_id=getattr(user, "pk", None) if user else None)

    # --- storing and showing ----------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The stored, human-readable form (`actor_label` columns)."""
        return f"{getattr(self.kind, 'value', self.kind)}:{self.name}"

    @property
    def display(self) -> str:
        """Who, in the reader's language."""
        if self.kind not in ActorKind.values:
            return self.name
        kind = ActorKind(self.kind).label
        if not self.name:
            return str(kind)
        return pgettext_lazy("actor", "%(kind)s: %(name)s") % {"kind": kind, "name": self.name}

    @classmethod
    def from_stored(cls, label: str, *, user_id: int | None = None) -> "Actor":
        """Read a stored label back, to show it. Never decide anything on what this returns: the ids
        of kinds other than users are not stored in the label."""
        kind, sep, name = (label or "").partition(":")
        if not sep or kind not in ActorKind.values:
            return cls(kind="", name=label or "", user_id=user_id)
        return cls(kind=ActorKind(kind), name=name, user_id=user_id)

    def __str__(self) -> str:
        return self.label


def actor_display(label: str) -> str:
    """A stored `actor_label` as a reader sees it (admin columns, history)."""
    return Actor.from_stored(label).display if label else ""
