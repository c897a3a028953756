"""Today's list of a dealer: redemptions and open holds, filterable by advisor, stale holds marked."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from redemption.services import redemption_cancel, redemption_redeem, redemption_start
from tests.factories import DealerStaffFactory, DefinitionFactory, issue_voucher

pytestmark = pytest.mark.django_db

TODAY = reverse("counter:today")


@pytest.fixture
def day(vehicle, dealer, other_dealer, advisor, other_advisor):
    """A morning at the dealer: work by two advisors, a hold from yesterday, other dealers' work."""
    now = timezone.now()
    colleague = DealerStaffFactory(dealer=dealer, display_name="SA Chen").user
    pack = DefinitionFactory(uses_per_voucher=10)
    voucher = issue_voucher(pack, vehicle=vehicle, now=now - timedelta(days=3))
    mine = redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=dealer, advisor=advisor, idempotency_key="1"
    )
    theirs = redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=colleague,
        idempotency_key="2",
        work_order="WO-2",
    )
    old = redemption_redeem(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=advisor,
        idempotency_key="3",
        now=now - timedelta(days=2),
    )
    elsewhere = redemption_redeem(
        voucher=voucher, vehicle=vehicle, dealer=other_dealer, advisor=other_advisor, idempotency_key="4"
    )
    other_voucher = issue_voucher(pack, vehicle=vehicle, now=now - timedelta(days=3))
    stale_hold = redemption_start(
        voucher=other_voucher,
        vehicle=vehicle,
        dealer=dealer,
        advisor=colleague,
        idempotency_key="5",
        now=now - timedelta(days=1),
    )
    third = issue_voucher(pack, vehicle=vehicle)
    cancelled = redemption_start(
        voucher=third, vehicle=vehicle, dealer=dealer, advisor=advisor, idempotency_key="6"
    )
    redemption_cancel(redemption=cancelled)
    return {
        "mine": mine,
        "theirs": theirs,
        "old": old,
        "elsewhere": elsewhere,
        "stale_hold": stale_hold,
        "cancelled": cancelled,
        "colleague": colleague,
    }


def receipts_in(body):
    import re

    return set(re.findall(r'class="mono">(R\d{8})<', body))


def test_today_lists_todays_work_and_every_open_hold_of_this_dealer_only(counter, day):
    body = counter.get(TODAY).content.decode()
    assert receipts_in(body) == {
        day[key].receipt_number for key in ("mine", "theirs", "stale_hold", "cancelled")
    }
    assert 'data-testid="total-completed">2<' in body
    assert 'data-testid="total-held">1<' in body


def test_a_hold_older_than_the_stale_limit_is_marked(counter, day, settings):
    settings.REDEMPTION_STALE_HOLD_AFTER = timedelta(hours=1)
    body = counter.get(TODAY).content.decode()
    assert body.count('data-testid="stale"') == 1
    settings.REDEMPTION_STALE_HOLD_AFTER = timedelta(days=2)
    assert 'data-testid="stale"' not in counter.get(TODAY).content.decode()


def test_the_list_filters_by_advisor(counter, day, advisor):
    mine = counter.get(TODAY, {"advisor": advisor.pk}).content.decode()
    assert receipts_in(mine) == {day["mine"].receipt_number, day["cancelled"].receipt_number}
    theirs = counter.get(TODAY, {"advisor": day["colleague"].pk}).content.decode()
    assert receipts_in(theirs) == {day["theirs"].receipt_number, day["stale_hold"].receipt_number}
    assert "SA Chen" in theirs
    assert counter.get(TODAY, {"advisor": ""}).status_code == 200


@pytest.mark.parametrize("value", ["abc", "-1", "99999999", "1 OR 1=1", "9" * 40])
def test_a_garbage_advisor_filter_answers_404(counter, day, value):
    assert counter.get(TODAY, {"advisor": value}).status_code == 404


def test_an_advisor_of_another_dealer_answers_404(counter, day, other_advisor):
    assert counter.get(TODAY, {"advisor": other_advisor.pk}).status_code == 404


def test_the_start_page_lists_open_holds_of_this_dealer(counter, day, other_dealer, vehicle):
    elsewhere = redemption_start(
        voucher=issue_voucher(DefinitionFactory(), vehicle=vehicle),
        vehicle=vehicle,
        dealer=other_dealer,
        idempotency_key="x",
    )
    body = counter.get(reverse("counter:home")).content.decode()
    assert reverse("counter:receipt", args=[day["stale_hold"].pk]) in body
    assert reverse("counter:receipt", args=[elsewhere.pk]) not in body


def test_today_and_the_receipt_cost_a_constant_number_of_queries(counter, vehicle, dealer, advisor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pack = DefinitionFactory(uses_per_voucher=40)

    def work(count):
        voucher = issue_voucher(pack, vehicle=vehicle)
        return [
            redemption_redeem(
                voucher=voucher, vehicle=vehicle, dealer=dealer, advisor=advisor, idempotency_key=f"{n}"
            )
            for n in range(count)
        ]

    first = work(2)
    counter.get(TODAY)
    with CaptureQueriesContext(connection) as few:
        counter.get(TODAY)
    work(30)
    with CaptureQueriesContext(connection) as many:
        body = counter.get(TODAY).content.decode()
    assert body.count('data-testid="redemption-row"') == 32
    assert len(many.captured_queries) == len(few.captured_queries)
    with CaptureQueriesContext(connection) as receipt:
        assert counter.get(reverse("counter:receipt", args=[first[0].pk])).status_code == 200
    assert len(receipt.captured_queries) <= 6  # session, user, staff, the redemption, permissions (2)
