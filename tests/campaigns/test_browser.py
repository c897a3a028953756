"""In a real browser: an owner opts out from a message link; an operator dry-runs and schedules."""

import pytest

from campaigns.models import Campaign, Segment
from campaigns.services import opt_out_url
from tests.browser_checks import assert_accessible
from tests.factories import MemberFactory, OwnedVehicleFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_opts_out_from_the_link_without_signing_in(page, screenshot):
    member = MemberFactory(consent_marketing=True, name="林春嬌")
    path = "/notifications/" + opt_out_url(member).split("/notifications/", 1)[1]
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + path)
    assert "林春嬌" in page.inner_text("main")
    screenshot(page, "question")
    assert_accessible(page)
    page.click("form button[type=submit]")
    page.wait_for_selector("[role=status]")
    screenshot(page, "done")
    assert_accessible(page)
    member.refresh_from_db()
    assert member.consent_marketing is False


def test_operator_dry_runs_then_schedules_a_campaign(page, screenshot):
    UserFactory(username="ops", is_staff=True, is_superuser=True)
    for _ in range(4):
        OwnedVehicleFactory(owner=MemberFactory(consent_marketing=True))
    campaign = Campaign.objects.create(
        name="春季保養",
        segment=Segment.objects.create(name="all"),
        message_zh_hant="{{ name }}：春季保養 {{ plate }}",
    )
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "ops")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.goto(page.base_url + f"/admin/campaigns/campaign/{campaign.pk}/dry-run/")
    assert page.inner_text("#audience-vehicles") == "4"
    assert page.locator("#dry-run-sample tbody tr").count() == 4
    screenshot(page, "dry-run")
    page.click("form input[type=submit].default")
    page.wait_for_url("**/change/")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SCHEDULED
