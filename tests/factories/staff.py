"""Back-office users in their groups (the groups are created the way setup_groups creates them)."""

from members.models import DealerStaff
from members.roles import groups_setup, user_set_role

from .members import DealerFactory, DealerStaffFactory, UserFactory


def staff_user(role: str, *, username: str | None = None, dealer=None, superuser: bool = False):
    """A staff user in the `role` group; dealer managers and advisors are attached to `dealer`."""
    groups_setup()
    user = UserFactory(username=username or f"{role.lower().replace(' ', '-')}-user")
    user.is_staff = role != "Advisor"
    user.is_superuser = superuser
    user.save()
    user_set_role(user=user, role=role)
    if role in ("Dealer manager", "Advisor"):
        staff_role = DealerStaff.Role.MANAGER if role == "Dealer manager" else DealerStaff.Role.ADVISOR
        DealerStaffFactory(user=user, dealer=dealer or DealerFactory(), role=staff_role)
    return user


def use_english(settings):
    """Admin tests read English messages: they keep passing once the zh-Hant catalogue translates them."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    translation.activate("en")
