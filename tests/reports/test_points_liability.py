"""The points liability report: outstanding points × the value of a point, as the ledger has them;
Finance and Operations read it, dealer managers do not."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from loyalty.models import EarnRule, PointsEntry, Programme
from loyalty.services import points_credit, points_debit, points_expire_due, points_reverse
from members.actors import Actor
from members.roles import DEALER_MANAGER, FINANCE, OPERATIONS
from tests.factories import MemberFactory
from tests.factories.staff import staff_user
from tests.loyalty.conftest import at

pytestmark = pytest.mark.django_db
URL = "/admin/reports/points-liability/"
AS_OF = {"start": "2026-09-01", "end": "2026-09-30"}
SYSTEM = Actor.system("test")
Kind = PointsEntry.Kind


@pytest.fixture
def points(db):
    """NT$0.25 a point, points last 12 months: 100 − 30 spent, 50 − 20 reversed, 40 expired → 100."""
    Programme.objects.update_or_create(
        pk=1, defaults={"expiry_months": 12, "point_value_twd": Decimal("0.25")}
    )
    EarnRule.objects.all().delete()
    member, other = MemberFactory(), MemberFactory()

    def earn(who, n, when):
        return points_credit(member=who, kind=Kind.BONUS, points=n, key=None, actor=SYSTEM, now=when)

    earn(member, 100, at(2026, 1, 10))
    second = earn(member, 50, at(2026, 6, 1))
    earn(other, 40, at(2025, 3, 1))
    points_expire_due(now=at(2026, 3, 2))
    points_debit(member=member, points=30, actor=SYSTEM, now=at(2026, 7, 1))
    points_reverse(entry=second, points=20, actor=SYSTEM, key="refund:9", now=at(2026, 8, 1))


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_csv_has_the_points_and_their_value_and_a_total(client, points):
    client.force_login(staff_user(FINANCE))
    rows = _rows(client.get(f"{URL}export.csv", AS_OF).content.decode("utf-8-sig"))
    assert [r[1:] for r in rows[1:]] == [
        ["2027-01", "70", "17.50"],
        ["2027-06", "30", "7.50"],
        ["", "100", "25.00"],
    ]


def test_the_page_and_the_xlsx_show_the_same_numbers_and_a_chart(client, points):
    client.force_login(staff_user(OPERATIONS))
    page = client.get(URL, AS_OF)
    html = page.content.decode()
    assert page.status_code == 200 and "<svg" in html and "17.50" in html and "NT$0.25" in html
    sheet = load_workbook(io.BytesIO(client.get(f"{URL}export.xlsx", AS_OF).content)).active
    values = [list(r)[2:] for r in sheet.iter_rows(values_only=True)][1:]
    assert values == [[70, 17.5], [30, 7.5], [100, 25]]


def test_an_earlier_day_counts_what_was_outstanding_then(client, points):
    client.force_login(staff_user(FINANCE))
    rows = _rows(
        client.get(f"{URL}export.csv", {"start": "2026-06-01", "end": "2026-06-30"}).content.decode(
            "utf-8-sig"
        )
    )
    assert rows[-1][2:] == ["150", "37.50"]  # before the spend and the reversal; the 40 expired


def test_an_unset_point_value_is_said(client, points):
    Programme.objects.filter(pk=1).update(point_value_twd=0)
    client.force_login(staff_user(FINANCE))
    html = client.get(URL, AS_OF).content.decode()
    assert "尚未設定" in html


def test_dealer_managers_do_not_see_the_points_liability(client, points):
    client.force_login(staff_user(DEALER_MANAGER))
    assert client.get(URL, AS_OF).status_code == 403
    assert client.get(f"{URL}export.csv", AS_OF).status_code == 403
