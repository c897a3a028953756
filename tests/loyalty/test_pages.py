"""Where owners and advisors see points: the portal's points page and the counter's owner panel."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from loyalty.dates import add_months
from loyalty.models import PointsEntry, Programme, TierLevel
from loyalty.selectors import Progress
from loyalty.services import points_credit, tier_evaluate
from portal.views.points import progress_sentence
from tests.factories import MemberFactory, OwnedVehicleFactory
from tests.portal.conftest import english_client, sign_in
from vouchers.models import Order

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(rules):
    for rank, name, spend, visits in [(1, "Classic", 0, 0), (2, "Silver", 10_000, 4), (3, "Gold", 30_000, 8)]:
        TierLevel.objects.update_or_create(
            rank=rank, defaults={"name": name, "spend_twd": spend, "visits": visits}
        )
    TierLevel.objects.filter(rank__gt=3).delete()
    Programme.objects.filter(pk=1).update(tier_measure=Programme.Measure.SPEND, expiry_months=24)


def test_the_points_page_shows_balance_tier_progress_expiring_points_and_history(tiers):
    owner = MemberFactory()
    now = timezone.now()
    Order.objects.create(member=owner, amount_twd=16_800, status=Order.Status.ISSUED, paid_at=now)
    tier_evaluate(member=owner, now=now)  # Silver: NT$13,200 more to Gold
    earned = add_months(timezone.localtime(now), -24) + timedelta(days=10)  # expires in 10 days
    points_credit(
        member=owner,
        kind=PointsEntry.Kind.BONUS,
        points=300,
        key="a",
        actor=SYSTEM,
        reason="交車禮",
        now=earned,
    )
    points_credit(member=owner, kind=PointsEntry.Kind.BONUS, points=45, key="b", actor=SYSTEM)
    page = sign_in(english_client(), owner).get(reverse("portal:points")).content.decode()
    assert 'data-test="balance">345<' in page
    assert 'data-test="tier">Silver<' in page
    assert "NT$13,200 more to Gold" in page
    assert f"300 points expire on {add_months(earned, 24):%Y-%m-%d}" in page
    assert "交車禮" in page and "+45" in page


def test_the_points_page_of_a_new_member_is_empty_not_an_error(tiers):
    page = sign_in(english_client(), MemberFactory()).get(reverse("portal:points")).content.decode()
    assert 'data-test="balance">0<' in page
    assert "No points yet" in page


def test_the_points_page_needs_a_signed_in_owner(client):
    response = client.get(reverse("portal:points"))
    assert response.status_code == 302 and "sign-in" in response["Location"]


@pytest.mark.parametrize(
    ("measure", "spend", "visits", "sentence"),
    [
        ("spend", 3_200, 0, "NT$3,200 more to Gold"),
        ("visits", 0, 2, "2 more visits to Gold"),
        ("either", 3_200, 2, "NT$3,200 more or 2 more visits to Gold"),
        ("both", 3_200, 2, "NT$3,200 more and 2 more visits to Gold"),
        ("both", 0, 0, "You qualify for Gold: it is yours at the next nightly review."),
    ],
)
def test_progress_is_said_as_the_tier_is_measured(measure, spend, visits, sentence):
    from django.utils import translation

    gold = TierLevel(rank=3, name="Gold", spend_twd=30_000, visits=8)
    with translation.override("en"):
        text = progress_sentence(
            Progress(next_tier=gold, spend_needed=spend, visits_needed=visits, measure=measure)
        )
    assert text == sentence


def test_the_top_tier_has_no_progress(tiers):
    owner = MemberFactory()
    Order.objects.create(member=owner, amount_twd=40_000, status=Order.Status.ISSUED, paid_at=timezone.now())
    tier_evaluate(member=owner)
    page = sign_in(english_client(), owner).get(reverse("portal:points")).content.decode()
    assert 'data-test="tier">Gold<' in page and 'data-test="progress"' not in page


def test_the_counter_owner_panel_shows_tier_and_points(tiers, client, settings):
    from tests.factories.staff import staff_user

    owner = MemberFactory()
    vehicle = OwnedVehicleFactory(owner=owner)
    tier_evaluate(member=owner)
    points_credit(member=owner, kind=PointsEntry.Kind.BONUS, points=1_250, key="c", actor=SYSTEM)
    settings.LANGUAGE_CODE = "en"
    client.force_login(staff_user("Advisor"))
    page = client.get(reverse("counter:vehicle", args=[vehicle.pk])).content.decode()
    assert 'data-testid="owner-tier">Classic<' in page
    assert 'data-testid="owner-points">1,250<' in page
