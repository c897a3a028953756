"""The back-office groups: each can do what it must and nothing more."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from members.roles import ROLES, groups_setup
from redemption.models import Redemption
from redemption.services import redemption_redeem
from tests.factories import DealerFactory, DefinitionFactory, OwnedVehicleFactory, UserFactory, issue_voucher
from tests.factories.staff import staff_user, use_english

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


def redeem(dealer, *, when=None):
    vehicle = OwnedVehicleFactory(selling_dealer=dealer)
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=2), vehicle=vehicle, now=when)
    return redemption_redeem(voucher=voucher, vehicle=vehicle, dealer=dealer, idempotency_key="k1", now=when)


def test_setup_groups_is_idempotent_and_resets_hand_made_changes():
    first = groups_setup()
    operations = Group.objects.get(name="Operations")
    operations.permissions.add(Permission.objects.get(codename="delete_voucher"))
    call_command("setup_groups")
    assert groups_setup() == first
    assert not operations.permissions.filter(codename="delete_voucher").exists()
    assert set(Group.objects.values_list("name", flat=True)) >= {r.name for r in ROLES}


def test_setup_groups_assigns_the_demo_users():
    for name in ("ops", "finance", "mgr-tpe", "sa-tpe"):
        UserFactory(username=name)
    call_command("setup_groups", demo_users=True)
    from django.contrib.auth import get_user_model

    groups = {u.username: {g.name for g in u.groups.all()} for u in get_user_model().objects.all()}
    assert groups == {
        "ops": {"Operations"},
        "finance": {"Finance"},
        "mgr-tpe": {"Dealer manager"},
        "sa-tpe": {"Advisor"},
    }


OPERATIONS_PAGES = [
    "admin:vouchers_voucher_changelist",
    "admin:vouchers_ledgerentry_changelist",
    "admin:vouchers_refundrequest_changelist",
    "admin:vehicles_bindingrequest_changelist",
    "admin:vouchers_voucherdefinition_wizard_new",
    "admin:django_q_schedule_changelist",
    "admin:django_q_failure_changelist",
    "admin:campaigns_segment_changelist",
    "admin:campaigns_campaign_changelist",
    "admin:campaigns_campaign_add",
    "admin:campaigns_notification_changelist",
    "admin:campaigns_messagetemplate_changelist",
    "admin:campaigns_programme_changelist",
    "admin:campaigns_jobrun_changelist",
    "admin:redemption_apikey_changelist",
    "admin:redemption_webhookendpoint_changelist",
    "admin:redemption_webhookdelivery_changelist",
]


def test_operations_reach_everything_they_need_but_not_user_management(client):
    client.force_login(staff_user("Operations"))
    for name in OPERATIONS_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_finance_read_only_on_vouchers_and_ledger(client):
    client.force_login(staff_user("Finance"))
    voucher = issue_voucher(vehicle=OwnedVehicleFactory())
    for name in ("admin:vouchers_voucher_changelist", "admin:vouchers_ledgerentry_changelist"):
        assert client.get(reverse(name)).status_code == 200
    assert client.get(reverse("admin:vouchers_voucher_change", args=[voucher.pk])).status_code == 200
    refused = [
        ("post", reverse("admin:vouchers_voucher_action", args=[voucher.pk, "void"]), {"reason": "x"}),
        ("get", reverse("admin:vouchers_voucherdefinition_wizard_new"), {}),
        ("get", reverse("admin:vehicles_vehicle_changelist"), {}),
        ("get", reverse("admin:members_member_changelist"), {}),
        ("get", reverse("admin:redemption_redemption_redeem", args=[voucher.pk]), {}),
        ("get", reverse("admin:django_q_schedule_changelist"), {}),
    ]
    for method, url, data in refused:
        assert getattr(client, method)(url, data).status_code == 403, url
    voucher.refresh_from_db()
    assert voucher.status == "active"


def test_dealer_manager_sees_only_their_dealer_and_may_reverse_there(client):
    mine, theirs = DealerFactory(), DealerFactory()
    manager = staff_user("Dealer manager", dealer=mine)
    client.force_login(manager)
    own, other = redeem(mine), redeem(theirs)
    listed = set(client.get(reverse("admin:redemption_redemption_changelist")).context["cl"].result_list)
    assert listed == {own}
    vehicles = set(client.get(reverse("admin:vehicles_vehicle_changelist")).context["cl"].result_list)
    assert vehicles == {own.vehicle}
    ledger = client.get(reverse("admin:vouchers_ledgerentry_changelist")).context["cl"].result_list
    assert {e.dealer_id for e in ledger} == {mine.pk}

    response = client.post(reverse("admin:redemption_redemption_reverse", args=[other.pk]), {"reason": "x"})
    assert response.status_code == 302 and Redemption.objects.get(pk=other.pk).status == "completed"
    response = client.post(
        reverse("admin:redemption_redemption_reverse", args=[own.pk]), {"reason": "wrong car"}
    )
    assert response.status_code == 302
    assert Redemption.objects.get(pk=own.pk).status == "reversed"

    for url in (
        reverse("admin:vouchers_voucher_changelist"),
        reverse("admin:vouchers_voucherdefinition_changelist"),
        reverse("admin:redemption_redemption_redeem", args=[own.voucher_id]),
        reverse("admin:vouchers_refundrequest_changelist"),
    ):
        assert client.get(url).status_code == 403, url


def test_dealer_manager_cannot_reverse_after_the_window_but_operations_can(client):
    dealer = DealerFactory()
    old = redeem(dealer, when=timezone.now() - timedelta(days=3))
    client.force_login(staff_user("Dealer manager", dealer=dealer))
    response = client.post(reverse("admin:redemption_redemption_reverse", args=[old.pk]), {"reason": "late"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert Redemption.objects.get(pk=old.pk).status == "completed"
    client.force_login(staff_user("Operations"))
    response = client.post(reverse("admin:redemption_redemption_reverse", args=[old.pk]), {"reason": "late"})
    assert response.status_code == 302 and Redemption.objects.get(pk=old.pk).status == "reversed"


def test_advisors_have_no_back_office(client):
    advisor = staff_user("Advisor")
    client.force_login(advisor)
    assert not advisor.is_staff and not advisor.get_all_permissions()
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_dealer_manager_lists_offer_no_filter_by_other_dealers(client):
    mine = DealerFactory()
    DealerFactory()
    client.force_login(staff_user("Dealer manager", dealer=mine))
    for name in ("redemption_redemption", "vouchers_ledgerentry", "vehicles_vehicle", "members_dealerstaff"):
        filters = client.get(reverse(f"admin:{name}_changelist")).context["cl"].list_filter
        assert not any("dealer" in str(f) for f in filters), name
