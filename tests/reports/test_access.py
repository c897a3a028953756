"""Who may open the Reports section: Operations and Finance everything, a dealer manager their dealer,
advisors and other staff nothing."""

import pytest
from django.urls import reverse

from members.roles import ADVISOR, DEALER_MANAGER, FINANCE, OPERATIONS
from reports.access import report_scope
from tests.factories import DealerFactory, UserFactory
from tests.factories.staff import staff_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [OPERATIONS, FINANCE])
def test_operations_and_finance_see_every_dealer(client, role):
    user = staff_user(role)
    assert report_scope(user).all_dealers
    client.force_login(user)
    assert client.get(reverse("reports:index")).status_code == 200
    page = client.get(reverse("reports:report", args=["demand"]))
    assert page.status_code == 200
    assert 'name="dealer"' in page.content.decode()


def test_a_dealer_manager_sees_only_their_dealer_and_no_dealer_choice(client):
    dealer = DealerFactory()
    user = staff_user(DEALER_MANAGER, dealer=dealer)
    scope = report_scope(user)
    assert scope.allowed and scope.dealer_id == dealer.pk
    client.force_login(user)
    page = client.get(reverse("reports:report", args=["demand"]), {"dealer": DealerFactory().pk})
    assert page.status_code == 200
    assert 'name="dealer"' not in page.content.decode()
    assert page.context["query"].dealer_id == dealer.pk


def test_an_advisor_is_refused(client):
    user = staff_user(ADVISOR)
    user.is_staff = True  # even if someone made them staff
    user.save()
    assert not report_scope(user).allowed
    client.force_login(user)
    assert client.get(reverse("reports:index")).status_code == 403
    assert client.get(reverse("reports:report", args=["demand"])).status_code == 403
    assert client.get(reverse("reports:export", args=["demand", "csv"])).status_code == 403


def test_staff_without_the_permission_are_refused(client):
    user = UserFactory(is_staff=True)
    client.force_login(user)
    assert client.get(reverse("reports:report", args=["demand"])).status_code == 403


def test_signed_out_readers_are_sent_to_the_log_in(client):
    response = client.get(reverse("reports:report", args=["demand"]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_an_unknown_report_or_format_is_404(client):
    client.force_login(staff_user(OPERATIONS))
    assert client.get(reverse("reports:report", args=["nope"])).status_code == 404
    assert client.get("/admin/reports/demand/export.pdf").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"start": "1899-01-01"},
        {"start": "2026-05-01", "end": "2026-01-01"},
        {"start": "2010-01-01", "end": "2026-01-01"},
        {"start": "x"},
    ],
)
def test_bad_filters_are_a_400_with_the_reason_and_no_figures(client, params):
    client.force_login(staff_user(OPERATIONS))
    page = client.get(reverse("reports:report", args=["demand"]), params)
    assert page.status_code == 400
    assert page.context["result"] is None
    assert client.get(reverse("reports:export", args=["demand", "csv"]), params).status_code == 400
