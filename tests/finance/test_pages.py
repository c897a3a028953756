"""Finance's pages: the money and settlement reports in the Reports section (exports equal the page,
dealer managers see only their dealer), and the statement workflow in the back office."""

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse

from finance.models import BreakageRate, SettlementStatement
from finance.services import facts_rebuild, facts_refresh, statement_approve, statement_draft
from members.actors import Actor
from members.models import DealerStaff
from members.roles import DEALER_MANAGER, FINANCE, OPERATIONS, user_set_role
from tests.factories import (
    DealerFactory,
    DealerStaffFactory,
    DefinitionFactory,
    OwnedVehicleFactory,
    UserFactory,
    issue_voucher,
)
from tests.factories.finance import bought_voucher, taipei
from vouchers.models import VoucherDefinition
from vouchers.services import voucher_redeem

pytestmark = pytest.mark.django_db
NOV = date(2026, 11, 1)
AFTER = taipei(2026, 12, 3)


def _staff(role, dealer=None):
    call_command("setup_groups", verbosity=0)
    user = UserFactory(is_staff=True)
    user_set_role(user=user, role=role)
    if dealer is not None:
        DealerStaffFactory(user=user, dealer=dealer, role=DealerStaff.Role.MANAGER)
    return user


def _use(dealer, price=250, at=taipei(2026, 11, 2)):
    definition = DefinitionFactory(settlement_price_twd=price, validity_days=400)
    voucher = issue_voucher(definition, vehicle=OwnedVehicleFactory(), now=taipei(2026, 10, 20))
    return voucher_redeem(voucher=voucher, vehicle=voucher.vehicle, dealer=dealer, now=at)


@pytest.fixture
def money():
    dealer = DealerFactory()
    voucher = bought_voucher(amount=1000, uses=3, category="wash", at=taipei(2026, 11, 3))
    voucher_redeem(voucher=voucher, vehicle=voucher.vehicle, dealer=dealer, now=taipei(2026, 11, 10))
    facts_rebuild()  # what the nightly rebuild and the refresh job keep current
    return dealer


def _table(response) -> list[list[str]]:
    html = response.content.decode()
    body = html.split('data-test="report-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for tr in body.split("<tr>")[1:]:
        cells = [c.split(">", 1)[1].split("</td>", 1)[0] for c in tr.split("<td")[1:]]
        rows.append(cells)
    return rows


def _number(text):
    return int(text.replace(",", "")) if text.replace(",", "").lstrip("-").isdigit() else text


@pytest.mark.parametrize("slug", ["money-rollforward", "money-liability", "money-revenue"])
def test_money_exports_carry_the_page_numbers(client, money, slug):
    client.force_login(_staff(FINANCE))
    query = {"start": "2026-11-01", "end": "2026-11-30"}
    page = client.get(reverse("reports:report", args=[slug]), query)
    assert page.status_code == 200
    shown = [[_number(c) for c in row] for row in _table(page)]
    assert shown
    exported = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("reports:export", args=[slug, "csv"]), query).content.decode("utf-8-sig")
            )
        )
    )
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("reports:export", args=[slug, "xlsx"]), query).content)
    )
    sheet = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert len(exported) == len(sheet) == len(shown) + 1
    for page_row, csv_row, xlsx_row in zip(shown, exported[1:], sheet[1:], strict=True):
        for shown_cell, csv_cell, xlsx_cell in zip(page_row, csv_row, xlsx_row, strict=True):
            if isinstance(shown_cell, int):
                assert int(csv_cell) == xlsx_cell == shown_cell


def test_rollforward_page_shows_the_total_row(client, money):
    client.force_login(_staff(FINANCE))
    page = client.get(
        reverse("reports:report", args=["money-rollforward"]), {"start": "2026-11-01", "end": "2026-11-30"}
    )
    total = [_number(c) for c in _table(page)[-1]]
    assert total[1:] == [0, 1000, 333, 0, 0, 667]


def test_dealer_managers_see_no_money_reports(client, money):
    client.force_login(_staff(DEALER_MANAGER, dealer=money))
    assert client.get(reverse("reports:report", args=["money-liability"])).status_code == 403


def test_dealer_managers_see_only_their_dealers_settlement(client):
    mine, other = DealerFactory(name="Mine"), DealerFactory(name="Other")
    finance = Actor.operations(UserFactory())
    for dealer, price in ((mine, 250), (other, 999)):
        _use(dealer, price)
        statement_draft(dealer=dealer, month=NOV, actor=finance, now=AFTER)
    client.force_login(_staff(DEALER_MANAGER, dealer=mine))
    page = client.get(
        reverse("reports:report", args=["settlement"]),
        {"start": "2026-11-01", "end": "2026-11-30", "dealer": other.pk},
    )
    rows = _table(page)
    assert len(rows) == 1 and "Mine" in rows[0][1] and "999" not in str(rows)
    changelist = client.get(reverse("admin:finance_settlementstatement_changelist"))
    assert changelist.status_code == 200 and "Other" not in changelist.content.decode()
    theirs = SettlementStatement.objects.get(dealer=other)
    foreign = client.get(reverse("admin:finance_settlementstatement_change", args=[theirs.pk]))
    # The admin answers an object outside the queryset by going back to the index with a message.
    assert foreign.status_code == 302 and foreign.url == reverse("admin:index")
    assert (
        client.get(reverse("admin:finance_settlementstatement_export", args=[theirs.pk, "csv"])).status_code
        == 404
    )
    assert client.get(reverse("admin:finance_settlementstatement_draft")).status_code == 403


def test_finance_drafts_approves_and_exports_a_statement_in_the_back_office(client):
    dealer = DealerFactory()
    _use(dealer, 250)
    client.force_login(_staff(FINANCE))
    response = client.post(
        reverse("admin:finance_settlementstatement_draft"), {"month": "2026-11", "dealer": dealer.pk}
    )
    assert response.status_code == 302
    statement = SettlementStatement.objects.get(dealer=dealer, month=NOV)
    assert (statement.status, statement.total_twd) == ("draft", 250)
    page = client.get(reverse("admin:finance_settlementstatement_change", args=[statement.pk]))
    assert (
        page.status_code == 200 and "核准" in page.content.decode() and "依類型合計" in page.content.decode()
    )
    refused = client.post(reverse("admin:finance_settlementstatement_approve", args=[statement.pk]), {})
    assert refused.status_code == 200
    assert SettlementStatement.objects.get(pk=statement.pk).status == "draft"
    client.post(reverse("admin:finance_settlementstatement_approve", args=[statement.pk]), {"confirm": "on"})
    statement.refresh_from_db()
    assert statement.status == "approved" and statement.number
    csv_file = client.get(reverse("admin:finance_settlementstatement_export", args=[statement.pk, "csv"]))
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[-1][-1] == "250" and rows[1][4] == "redemption"
    xlsx = client.get(reverse("admin:finance_settlementstatement_export", args=[statement.pk, "xlsx"]))
    sheet = [
        list(r) for r in openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)
    ]
    assert sheet[-1][-1] == 250 and len(sheet) == len(rows)
    statement.refresh_from_db()
    assert statement.status == "exported"
    again = client.post(
        reverse("admin:finance_settlementstatement_redraft", args=[statement.pk]), follow=True
    )
    assert (
        "不會再變更" in again.content.decode()
        or SettlementStatement.objects.get(pk=statement.pk).status == "exported"
    )


def test_approving_a_month_that_has_not_ended_is_refused_on_the_form(client):
    dealer = DealerFactory()
    client.force_login(_staff(FINANCE))
    statement = statement_draft(dealer=dealer, month=date(2099, 1, 1), actor=Actor.system("t"))
    response = client.post(
        reverse("admin:finance_settlementstatement_approve", args=[statement.pk]), {"confirm": "on"}
    )
    assert response.status_code == 200 and "errornote" in response.content.decode()
    assert SettlementStatement.objects.get(pk=statement.pk).status == "draft"


def test_operations_read_statements_but_do_not_settle(client):
    dealer = DealerFactory()
    statement = statement_draft(dealer=dealer, month=NOV, actor=Actor.system("t"), now=AFTER)
    client.force_login(_staff(OPERATIONS))
    assert (
        client.get(reverse("admin:finance_settlementstatement_change", args=[statement.pk])).status_code
        == 200
    )
    assert (
        client.get(reverse("admin:finance_settlementstatement_approve", args=[statement.pk])).status_code
        == 403
    )


def test_finance_sets_a_settlement_price_and_a_breakage_rate(client):
    definition = DefinitionFactory()
    client.force_login(_staff(FINANCE))
    response = client.post(
        reverse("admin:finance_settlementprice_change", args=[definition.pk]), {"settlement_price_twd": "480"}
    )
    assert response.status_code == 302
    assert VoucherDefinition.objects.get(pk=definition.pk).settlement_price_twd == 480
    response = client.post(
        reverse("admin:finance_breakagerate_add"),
        {"category": "wash", "effective_from": "2026-01-01", "rate_bp": "1500", "note": "2025 history"},
    )
    assert response.status_code == 302
    assert BreakageRate.objects.get().rate_bp == 1500


def test_a_breakage_rate_of_100_percent_is_refused(client):
    client.force_login(_staff(FINANCE))
    response = client.post(
        reverse("admin:finance_breakagerate_add"),
        {"category": "wash", "effective_from": "2026-01-01", "rate_bp": "10000"},
    )
    assert response.status_code == 200 and not BreakageRate.objects.exists()


def test_statement_approved_earlier_is_read_only_in_the_back_office(client):
    dealer = DealerFactory()
    _use(dealer)
    statement = statement_approve(
        statement=statement_draft(dealer=dealer, month=NOV, actor=Actor.system("t"), now=AFTER),
        actor=Actor.system("t"),
        now=AFTER,
    )
    client.force_login(_staff(FINANCE))
    response = client.post(reverse("admin:finance_settlementstatement_redraft", args=[statement.pk]))
    assert response.status_code == 302
    assert SettlementStatement.objects.get(pk=statement.pk).lines.count() == 1


def test_pages_read_the_facts_as_of_their_last_refresh(client, money):
    client.force_login(_staff(FINANCE))
    voucher = bought_voucher(amount=500, uses=1, category="wash", at=taipei(2026, 11, 12))
    url = reverse("reports:report", args=["money-rollforward"])
    query = {"start": "2026-11-01", "end": "2026-11-30"}
    assert _number(_table(client.get(url, query))[-1][2]) == 1000
    facts_refresh(lag=__import__("datetime").timedelta(0))
    assert _number(_table(client.get(url, query))[-1][2]) == 1500
    assert voucher.amount_paid_twd == 500
