"""In headless Chromium: an operator walks the wizard to a published definition and issues it to a
three-row whitelist with one bad row."""

import pytest

from tests.factories import OwnedVehicleFactory
from tests.factories.staff import staff_user
from vouchers.models import IssueBatch, LedgerEntry, Voucher, VoucherDefinition

DATES = ("valid_from_date", "valid_until_date")
DELIVERY = ("delivery_offset_months", "delivery_window_months", "series_count", "series_step_months")
VALIDITY_SWITCHES = [
    ("fixed", DATES, ("validity_days", *DELIVERY)),
    ("delivery_window", DELIVERY, (*DATES, "validity_days")),
    ("no_expiry", ("warn_days",), (*DATES, "validity_days", *DELIVERY)),
    ("days_from_activation", ("validity_days",), (*DATES, *DELIVERY)),
]


@pytest.fixture
def sync_tasks(monkeypatch):
    """django-q2 runs a queued task inline (sync mode) when the confirming transaction commits."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_publishes_a_definition_and_issues_it_in_bulk(page, screenshot, sync_tasks):
    staff_user("Operations", username="operator")
    cars = [OwnedVehicleFactory() for _ in range(2)]
    base = page.base_url

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    # Step 1: basic information.
    page.goto(f"{base}/admin/vouchers/voucherdefinition/add/")
    page.wait_for_selector("#wizard-form")
    page.fill("input[name=name]", "夏季洗車禮")
    page.fill("input[name=code]", "summer-wash")
    page.select_option("select[name=kind]", "promotional")
    page.select_option("select[name=category]", "wash")
    page.fill("input[name=uses_per_voucher]", "2")
    # Only the chosen validity policy's fields show (static/admin/backoffice/validity_fields.js).
    for policy, shown, hidden in VALIDITY_SWITCHES:
        page.select_option("select[name=validity_policy]", policy)
        for name in shown:
            assert page.is_visible(f"[name={name}]"), f"{policy}: {name} hidden"
        for name in hidden:
            assert page.is_hidden(f"[name={name}]"), f"{policy}: {name} shown"
    page.select_option("select[name=validity_policy]", "days_from_issue")
    page.fill("input[name=validity_days]", "60")
    screenshot(page, "step1")
    page.click("input[name=_next]")
    # Step 2: issue rules (manual / whitelist is on by default).
    page.wait_for_url("**/wizard/2/")
    page.fill("input[name=stock_total]", "100")
    page.click("input[name=_next]")
    # Step 3: activation rules (automatic by default).
    page.wait_for_url("**/wizard/3/")
    page.click("input[name=_next]")
    # Step 4: the card, previewed live as the operator types.
    page.wait_for_url("**/wizard/4/")
    page.fill("input[name=card_title]", "夏日洗車")
    page.fill("input[name=card_subtitle]", "兩次免費")
    page.wait_for_function(
        "() => document.querySelector('#card-preview .voucher-card__title').textContent.includes('夏日洗車')"
    )
    assert "兩次免費" in page.inner_text("#card-preview")
    # The colour arrives without inline style (CSP): the preview script applies it from the card's data.
    page.fill("input[name=card_colour]", "#1f3a5f")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#card-preview .voucher-card__left'))"
        ".backgroundColor === 'rgb(31, 58, 95)'"
    )
    screenshot(page, "step4-preview")
    page.click("input[name=_next]")
    page.wait_for_url("**/wizard/review/")
    page.click("input[name=_publish]")
    page.wait_for_selector("#definition-status")
    definition = VoucherDefinition.objects.get(code="summer-wash")
    assert definition.status == VoucherDefinition.Status.PUBLISHED
    assert definition.card_title == "夏日洗車" and definition.uses_per_voucher == 2
    screenshot(page, "published")

    # Bulk issuance: two good rows and one bad one.
    page.click("a[href$='/bulk/']")
    page.set_input_files(
        "input[name=whitelist]",
        files=[
            {
                "name": "whitelist.csv",
                "mimeType": "text/csv",
                "buffer": f"車牌\n{cars[0].plate}\n{cars[1].vin}\nNOT-A-PLATE-OR-VIN\n".encode("big5"),
            }
        ],
    )
    page.fill("input[name=reason]", "夏季活動名單")
    page.click("input[type=submit].default")
    page.wait_for_selector("#rejected-rows")
    assert "NOT-A-PLATE-OR-VIN" in page.inner_text("#rejected-rows")
    assert not Voucher.objects.exists()  # the dry run issued nothing
    screenshot(page, "dry-run")
    page.click("#confirm-issue")
    page.wait_for_selector("#batch-result")
    screenshot(page, "issued")

    batch = IssueBatch.objects.get()
    assert (batch.status, batch.rows_issued, batch.rows_rejected) == ("done", 2, 1)
    assert set(Voucher.objects.values_list("vehicle_id", flat=True)) == {c.pk for c in cars}
    assert LedgerEntry.objects.filter(kind="issued", reason="夏季活動名單").count() == 2
    definition.refresh_from_db()
    assert definition.stock_issued == 2
