"""Races through the real views on PostgreSQL: two terminals (or a double click) act at the same
instant on a voucher's last use. Exactly one use is consumed; the loser sees a clear message."""

import threading

import pytest
from django.db import connection
from django.test import Client

from redemption.models import Redemption
from tests.factories import DefinitionFactory, issue_voucher
from vouchers.models import LedgerEntry

from .conftest import messages_of, page_token, signed_in, use_url

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*posts):
    """Run each (client, url, data) POST in its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(posts))
    results = [None] * len(posts)

    def run(index, client, url, data):
        try:
            barrier.wait(timeout=10)
            response = client.post(url, data)
            results[index] = (response.status_code, response.get("Location", ""), messages_of(response))
        except Exception as exc:  # surfaced by the assertions below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *post)) for i, post in enumerate(posts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert all(not isinstance(r, Exception) and r is not None for r in results), results
    return results


def test_two_terminals_racing_for_the_last_use_give_exactly_one_redemption(advisor, other_advisor, vehicle):
    last_use = issue_voucher(DefinitionFactory(uses_per_voucher=1), vehicle=vehicle)
    first, second = signed_in(advisor), signed_in(other_advisor)
    posts = [
        (
            client,
            use_url(vehicle, last_use),
            {"token": page_token(client, vehicle, last_use), "mileage": "1000"},
        )
        for client in (first, second)
    ]
    results = race(*posts)

    receipts = [r for r in results if "/counter/redemptions/" in r[1]]
    refusals = [r for r in results if "/counter/vehicles/" in r[1]]
    assert len(receipts) == 1, results
    assert len(refusals) == 1, results
    assert any("Used: no uses left" in m and "Nothing was recorded" in m for m in refusals[0][2])
    last_use.refresh_from_db()
    assert (last_use.status, last_use.uses_left) == ("used", 0)
    assert Redemption.objects.count() == 1
    assert LedgerEntry.objects.filter(voucher=last_use, kind="redeemed").count() == 1


def test_a_start_and_a_redeem_racing_for_the_last_use_give_exactly_one_winner(
    advisor, other_advisor, vehicle
):
    last_use = issue_voucher(DefinitionFactory(uses_per_voucher=1), vehicle=vehicle)
    first, second = signed_in(advisor), signed_in(other_advisor)
    results = race(
        (
            first,
            use_url(vehicle, last_use),
            {"token": page_token(first, vehicle, last_use), "mileage": "1", "action": "start"},
        ),
        (
            second,
            use_url(vehicle, last_use),
            {"token": page_token(second, vehicle, last_use), "mileage": "1"},
        ),
    )
    assert sum("/counter/redemptions/" in r[1] for r in results) == 1, results
    assert Redemption.objects.count() == 1
    last_use.refresh_from_db()
    assert last_use.status in ("held", "used")
    assert last_use.uses_left == (1 if last_use.status == "held" else 0)


def test_a_double_click_racing_itself_consumes_one_use_and_both_land_on_the_same_receipt(advisor, vehicle):
    pack = issue_voucher(DefinitionFactory(uses_per_voucher=5), vehicle=vehicle)
    browser = signed_in(advisor)
    token = page_token(browser, vehicle, pack)
    second_tab = Client(headers={"accept-language": "en"})
    second_tab.cookies = browser.cookies  # the same browser session
    data = {"token": token, "mileage": "2000"}
    results = race((browser, use_url(vehicle, pack), data), (second_tab, use_url(vehicle, pack), data))

    assert results[0][1] == results[1][1]
    assert "/counter/redemptions/" in results[0][1]
    pack.refresh_from_db()
    assert pack.uses_left == 4
    assert Redemption.objects.count() == 1
