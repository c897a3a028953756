"""Who may read reports, and what part of them.

Operations and Finance (and superusers) see every dealer; a dealer manager sees their own dealer only;
advisors, and dealer staff who are not managers, see none. The permission `reports.view_reports` is
given to the Operations, Finance and Dealer manager groups by `setup_groups` (members/roles.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from members.models import DealerStaff


@dataclass(frozen=True)
class ReportScope:
    allowed: bool
    dealer_id: int | None = None  # None with allowed: every dealer

    @property
    def all_dealers(self) -> bool:
        return self.allowed and self.dealer_id is None


NONE = ReportScope(False)


def report_scope(user, permission: str = "reports.view_reports") -> ReportScope:
    if not (user.is_active and user.is_staff):
        return NONE
    if user.is_superuser:
        return ReportScope(True)
    if not user.has_perm(permission):
        return NONE
    staff = DealerStaff.objects.filter(user_id=user.pk).values_list("dealer_id", "role").first()
    if staff is None:
        return ReportScope(True)
    dealer_id, role = staff
    if role != DealerStaff.Role.MANAGER:
        return NONE
    return ReportScope(True, dealer_id)
