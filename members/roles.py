"""The back office's groups and what each may do, applied idempotently by `manage.py setup_groups`.

Permissions are named by strings ("app_label.codename"), so this lowest app needs no import of the
apps whose models they guard. Each group gets exactly the permissions listed: re-running the set-up
removes anything added to a group by hand, so the groups always mean what this file says.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

OPERATIONS = "Operations"
FINANCE = "Finance"
DEALER_MANAGER = "Dealer manager"
ADVISOR = "Advisor"


def _crud(app_label: str, model: str, *actions: str) -> list[str]:
    return [f"{app_label}.{action}_{model}" for action in actions]


@dataclass(frozen=True)
class Role:
    name: str
    permissions: tuple[str, ...]
    description: str


ROLES = (
    Role(
        OPERATIONS,
        (
            # Definitions through the wizard; vouchers, refunds and batches through manual actions.
            *_crud("vouchers", "voucherdefinition", "add", "change", "view"),
            *_crud("vouchers", "voucher", "change", "view"),
            *_crud("vouchers", "ledgerentry", "view"),
            *_crud("vouchers", "refundrequest", "change", "view"),
            *_crud("vouchers", "issuebatch", "add", "view"),
            *_crud("vouchers", "issuebatchrow", "view"),
            *_crud("vouchers", "bundle", "add", "change", "view"),
            *_crud("vouchers", "bundleitem", "add", "change", "delete", "view"),
            *_crud("vouchers", "order", "view"),
            *_crud("shop", "paymentnotification", "view"),
            *_crud("shop", "shopnotice", "add", "change", "view"),
            *_crud("vehicles", "vehicle", "add", "change", "view"),
            *_crud("vehicles", "vehiclemodel", "add", "change", "view"),
            *_crud("vehicles", "bindingrequest", "change", "view"),
            *_crud("vehicles", "ownership", "view"),
            *_crud("vehicles", "authoriseddriver", "view"),
            *_crud("vehicles", "importbatch", "add", "view"),
            *_crud("vehicles", "visit", "view"),
            *_crud("vehicles", "datachange", "view"),
            *_crud("members", "member", "change", "view"),
            *_crud("members", "consentchange", "view"),
            *_crud("members", "erasurerequest", "view"),
            "members.carry_out_erasurerequest",
            *_crud("members", "dealer", "add", "change", "view"),
            *_crud("members", "dealerstaff", "add", "change", "view"),
            *_crud("redemption", "redemption", "add", "view"),
            "redemption.reverse_redemption",
            # Booking requests, read only: owners and dealers change them in the portal and counter.
            *_crud("bookings", "bookingrequest", "view"),
            *_crud("bookings", "bookingevent", "view"),
            *_crud("campaigns", "segment", "add", "change", "delete", "view"),
            # Loyalty: the programme, earn rules and tiers; points adjusted by hand (with a reason).
            *_crud("loyalty", "programme", "change", "view"),
            *_crud("loyalty", "earnrule", "add", "change", "view"),
            *_crud("loyalty", "tierlevel", "add", "change", "view"),
            *_crud("loyalty", "pointsaccount", "change", "view"),
            *_crud("loyalty", "pointsentry", "view"),
            *_crud("loyalty", "tierchange", "view"),
            *_crud("loyalty", "exchangeoffer", "add", "change", "view"),
            *_crud("loyalty", "exchange", "view"),
            *_crud("loyalty", "tierbenefit", "add", "change", "view"),
            *_crud("loyalty", "benefitgrant", "view"),
            *_crud("loyalty", "referral", "view"),
            *_crud("loyalty", "referralcode", "view"),
            # Campaigns, programmes, the outbox and its templates, nightly job runs.
            *_crud("campaigns", "campaign", "add", "change", "view"),
            *_crud("campaigns", "campaignrecipient", "view"),
            *_crud("campaigns", "campaignvoucher", "view"),
            *_crud("campaigns", "programme", "add", "change", "view"),
            *_crud("campaigns", "eventissuance", "view"),
            *_crud("campaigns", "notification", "change", "view"),
            *_crud("campaigns", "messagetemplate", "add", "change", "view"),
            *_crud("campaigns", "jobrun", "view"),
            # Offers in reminders and follow-ups from past services (rules; their outcomes read only).
            *_crud("campaigns", "reminderoffer", "add", "change", "view"),
            *_crud("campaigns", "reminderoffergrant", "view"),
            *_crud("campaigns", "followuprule", "add", "change", "view"),
            *_crud("campaigns", "followup", "view"),
            # Partner API keys (revocation) and webhooks (endpoints, delivery log).
            *_crud("redemption", "apikey", "change", "view"),
            *_crud("redemption", "webhookendpoint", "change", "view"),
            *_crud("redemption", "webhookdelivery", "change", "view"),
            # django-q2: tasks, results and schedules.
            *_crud("django_q", "schedule", "add", "change", "delete", "view"),
            *_crud("django_q", "task", "view", "delete"),
            *_crud("django_q", "success", "view", "delete"),
            *_crud("django_q", "failure", "view", "delete"),
            *_crud("django_q", "ormq", "view", "delete"),
            "admin.view_logentry",
            "reports.view_reports",
            # Finance's reports and statements, read only.
            "finance.view_money_reports",
            *_crud("finance", "settlementstatement", "view"),
            *_crud("finance", "settlementline", "view"),
        ),
        "Voucher definitions, bulk issuance, manual actions, queues, segments and background jobs.",
    ),
    Role(
        FINANCE,
        (
            *_crud("vouchers", "voucherdefinition", "view"),
            *_crud("vouchers", "voucher", "view"),
            *_crud("vouchers", "ledgerentry", "view"),
            *_crud("vouchers", "refundrequest", "view"),
            *_crud("vouchers", "issuebatch", "view"),
            # Orders: settling a stuck order by hand once the money is found.
            *_crud("vouchers", "order", "change", "view"),
            *_crud("vouchers", "bundle", "view"),
            *_crud("shop", "paymentnotification", "view"),
            *_crud("shop", "payment", "view"),
            # Order refunds: approved or rejected with a reason (the order's e-invoice is on its page).
            *_crud("shop", "orderrefund", "change", "view"),
            *_crud("shop", "invoice", "view"),
            # Points are a liability: the ledger, read only.
            *_crud("loyalty", "pointsaccount", "view"),
            *_crud("loyalty", "pointsentry", "view"),
            "reports.view_reports",
            # Money reports, expected breakage rates, settlement prices and dealer statements.
            "finance.view_money_reports",
            *_crud("finance", "breakagerate", "add", "change", "view"),
            *_crud("finance", "settlementprice", "change", "view"),
            *_crud("finance", "settlementstatement", "add", "change", "view"),
            *_crud("finance", "settlementline", "view"),
        ),
        "Read-only on vouchers and the ledger; settles stuck orders by hand; decides order refunds; "
        "money reports, breakage rates, settlement prices and statements.",
    ),
    Role(
        DEALER_MANAGER,
        (
            # Querysets are limited to the manager's own dealer (members.admin.tools.scoped_dealer_id).
            *_crud("redemption", "redemption", "view"),
            "redemption.reverse_redemption",
            *_crud("members", "dealer", "view"),
            *_crud("members", "dealerstaff", "view"),
            *_crud("vehicles", "vehicle", "view"),
            *_crud("vouchers", "ledgerentry", "view"),
            # The Reports section, limited to their own dealer (reports/access.py).
            "reports.view_reports",
            # Their own dealer's settlement statements (finance.admin.statements is dealer-scoped).
            *_crud("finance", "settlementstatement", "view"),
            *_crud("finance", "settlementline", "view"),
        ),
        "Their dealer's redemptions, staff, vehicles and ledger entries, and reversals.",
    ),
    Role(ADVISOR, (), "The counter terminal only; no access to the back office."),
)


class UnknownPermission(LookupError):
    pass


def _permissions(names: tuple[str, ...]) -> list[Permission]:
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        condition |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(condition).select_related("content_type"))
    missing = set(names) - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise UnknownPermission(", ".join(sorted(missing)))
    return found


def groups_setup() -> dict[str, int]:
    """Create or update every group with exactly its permissions; returns permissions per group."""
    result = {}
    with transaction.atomic():
        for role in ROLES:
            group, _created = Group.objects.get_or_create(name=role.name)
            permissions = _permissions(role.permissions)
            group.permissions.set(permissions)
            result[role.name] = len(permissions)
    return result


def user_set_role(*, user, role: str) -> None:
    """Put a staff user in exactly one of the back-office groups (other groups are kept)."""
    names = {r.name for r in ROLES}
    if role not in names:
        raise ValueError(role)
    with transaction.atomic():
        user.groups.remove(*Group.objects.filter(name__in=names - {role}))
        user.groups.add(Group.objects.get(name=role))
