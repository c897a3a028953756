"""CSV and XLSX exports carry exactly the page's columns and numbers; text cannot run as a formula."""

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from members.roles import FINANCE
from reports.registry import all_reports
from tests.factories import DealerFactory, DefinitionFactory, VehicleFactory
from tests.factories.staff import staff_user

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-01-01", "end": "2026-12-31"}


class _Table(HTMLParser):
    """The header and body cells of the page's report table."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("data-test", "report-table") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def _page_cells(html: str) -> list[list[str]]:
    table = _Table()
    table.feed(html)
    return table.rows


def _same(page_text: str, exported) -> bool:
    """A page cell and the exported value are the same figure (the page adds thousands separators)."""
    if exported in (None, ""):
        return page_text in ("", "—")
    if isinstance(exported, (int, float)):
        return float(page_text.replace(",", "")) == pytest.approx(float(exported))
    return page_text == str(exported)


@pytest.fixture
def every_world(demand_world, takeup_world, campaign_world, customer_world):
    call_command("rebuild_report_facts", verbosity=0)


@pytest.mark.parametrize("slug", [r.slug for r in all_reports()])
def test_csv_and_xlsx_equal_the_page(client, every_world, slug):
    client.force_login(staff_user(FINANCE))
    page = _page_cells(client.get(f"/admin/reports/{slug}/", RANGE).content.decode())
    assert len(page) > 1, "the world should give every report some rows"
    sheet = load_workbook(io.BytesIO(client.get(f"/admin/reports/{slug}/export.xlsx", RANGE).content)).active
    xlsx = [list(row) for row in sheet.iter_rows(values_only=True)]
    text = client.get(f"/admin/reports/{slug}/export.csv", RANGE).content.decode("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    assert xlsx[0] == page[0] == csv_rows[0]
    assert len(xlsx) == len(page) == len(csv_rows)
    for page_row, xlsx_row, csv_row in zip(page[1:], xlsx[1:], csv_rows[1:], strict=True):
        for page_text, value, csv_text in zip(page_row, xlsx_row, csv_row, strict=True):
            assert _same(page_text, value), (page_text, value)
            csv_value = float(csv_text) if re.fullmatch(r"-?\d+(\.\d+)?", csv_text) else csv_text
            assert _same(page_text, csv_value), (page_text, csv_text)


def test_text_that_looks_like_a_formula_is_defused(client):
    dealer = DealerFactory(code="EVIL", name='=HYPERLINK("http://x")')
    from tests.reports.world import issue, redeem

    car = VehicleFactory()
    redeem(
        issue(DefinitionFactory(validity_days=365), vehicle=car, when="2026-10-01"),
        vehicle=car,
        dealer=dealer,
        when="2026-10-02",
    )
    call_command("rebuild_report_facts", verbosity=0)
    client.force_login(staff_user(FINANCE))
    text = client.get("/admin/reports/demand/export.csv", RANGE).content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    sheet = load_workbook(io.BytesIO(client.get("/admin/reports/demand/export.xlsx", RANGE).content)).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert any(str(c).startswith("'=HYPERLINK") for c in cells)
    assert all(getattr(c, "data_type", "s") != "f" for row in sheet.iter_rows() for c in row)


def test_the_export_names_the_report_and_range(client, every_world):
    client.force_login(staff_user(FINANCE))
    response = client.get("/admin/reports/take-up/export.xlsx", RANGE)
    assert response["Content-Disposition"] == 'attachment; filename="take-up-20260101-20261231.xlsx"'
