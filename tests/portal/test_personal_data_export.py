"""The owner's copy of their personal data: complete, scoped to them, safe to open in Excel."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Notification
from campaigns.services import notification_queue
from members.services import erasure_request_create, member_update_preferences
from portal.personal_data import as_csv_zip, personal_data_export
from portal.services import login_code_request
from redemption.services import redemption_redeem
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    issue_voucher,
)
from vehicles.models import AuthorisedDriver, BindingRequest
from vouchers.models import Order
from vouchers.services import voucher_refund_request

pytestmark = pytest.mark.django_db
KINDS = {
    "profile",
    "consent_changes",
    "erasure_requests",
    "vehicle_ownerships",
    "authorised_drivers",
    "binding_requests",
    "orders",
    "vouchers",
    "voucher_ledger",
    "redemptions",
    "refund_requests",
    "notifications",
    "campaign_messages",
    "event_grants",
    "referrals",
    "sign_in_codes",
}


def _everything_for(member, car, *, tag: str):
    """Records of every kind for `member`; `tag` marks text so a leak to another owner is visible."""
    member_update_preferences(member=member, source="portal", consent_marketing=True)
    wash = issue_voucher(DefinitionFactory(name=f"Wash {tag}", uses_per_voucher=2), vehicle=car)
    redemption_redeem(
        voucher=wash, vehicle=car, dealer=DealerFactory(), idempotency_key=f"k-{tag}", work_order=f"WO-{tag}"
    )
    paid = issue_voucher(DefinitionFactory(holder_type="member", refundable=True), member=member)
    voucher_refund_request(voucher=paid, member=member, reason=f"refund {tag}")
    BindingRequest.objects.create(member=member, vin="WDD2050421R123456", plate=f"ZZ-{tag}")
    Order.objects.create(member=member, amount_twd=1200)
    driver = MemberFactory(name=f"駕駛{tag}")
    AuthorisedDriver.objects.create(vehicle=car, member=driver, started_at=timezone.now())
    notification_queue(
        channel="sms",
        recipient=member.phone,
        purpose=Notification.Purpose.EXPIRY_REMINDER,
        body=f"reminder {tag}",
        dedup_key=f"r-{tag}",
        member=member,
    )
    erasure_request_create(member=member)


@pytest.fixture
def both(owner, other, car, one_rate_limit_window):
    _everything_for(owner, car, tag="MINE")
    _everything_for(other, OwnedVehicleFactory(owner=other), tag="THEIRS")
    login_code_request(phone=owner.phone, client_ip="203.0.113.7")
    return owner, other


def test_the_export_holds_every_kind_of_record_keyed_to_the_owner(both, owner, car):
    records = personal_data_export(member=owner)
    assert set(records) == KINDS
    assert records["profile"][0]["name"] == "王小明" and records["profile"][0]["mobile_number"] == owner.phone
    assert records["consent_changes"][0]["kind"] == "marketing"
    assert [r["status"] for r in records["erasure_requests"]] == ["pending"]
    assert records["vehicle_ownerships"][0]["vin"] == car.vin
    assert {r["work_order"] for r in records["redemptions"]} == {"WO-MINE"}
    assert {r["your_reason"] for r in records["refund_requests"]} == {"refund MINE"}
    assert {r["plate"] for r in records["binding_requests"]} == {"ZZ-MINE"}
    assert [r["amount_twd"] for r in records["orders"]] == [1200]
    assert len(records["vouchers"]) == 2 and len(records["voucher_ledger"]) >= 4
    assert {r["held_by_you"] for r in records["vouchers"]} == {True, False}
    assert (
        len(records["sign_in_codes"]) == 1 and records["sign_in_codes"][0]["requested_from"] == "203.0.113.7"
    )


def test_another_owners_data_never_appears(both, owner, other):
    text = json.dumps(personal_data_export(member=owner), ensure_ascii=False)
    assert "THEIRS" not in text and other.phone not in text and other.name not in text


def test_drivers_the_owner_authorised_appear_masked(both, owner):
    drivers = personal_data_export(member=owner)["authorised_drivers"]
    assert [(d["driver"], d["you_are_the_driver"]) for d in drivers] == [("駕○○○○E", False)]


def test_sign_in_codes_are_masked_in_the_messages(both, owner):
    messages = personal_data_export(member=owner)["notifications"]
    codes = [m["text"] for m in messages if m["purpose"] == "login_code"]
    assert len(codes) == 1 and "••••••" in codes[0]
    login_body = Notification.objects.get(purpose="login_code", member=owner).body
    assert login_body != codes[0]  # the outbox row itself is unchanged; only the copy is masked


def test_json_download_is_the_signed_in_owners(both, owner, owner_client):
    response = owner_client.get(reverse("portal:personal_data_json"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment;" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert document["member_id"] == owner.pk
    assert set(document["records"]) == KINDS
    assert "THEIRS" not in response.content.decode()


def test_csv_download_is_a_zip_of_one_excel_friendly_csv_per_kind(both, owner_client):
    response = owner_client.get(reverse("portal:personal_data_csv"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert set(archive.namelist()) == {f"{kind}.csv" for kind in KINDS}
    profile = archive.read("profile.csv")
    assert profile.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(profile.decode("utf-8-sig"))))
    assert rows[0]["name"] == "王小明"
    assert "THEIRS" not in b"".join(archive.read(n) for n in archive.namelist()).decode()


def test_csv_cells_cannot_run_as_spreadsheet_formulas():
    records = {
        "refund_requests": [{"your_reason": '=HYPERLINK("http://evil")', "delta": -1, "note": "@SUM(A1)"}]
    }
    archive = zipfile.ZipFile(io.BytesIO(as_csv_zip(records)))
    rows = list(csv.reader(io.StringIO(archive.read("refund_requests.csv").decode("utf-8-sig"))))
    assert rows[1] == ['\'=HYPERLINK("http://evil")', "-1", "'@SUM(A1)"]


def test_downloads_need_signing_in():
    from .conftest import english_client

    for name in ("portal:personal_data_json", "portal:personal_data_csv", "portal:personal_data"):
        response = english_client().get(reverse(name))
        assert response.status_code == 302 and "/sign-in/" in response["Location"]


def test_the_export_costs_a_fixed_number_of_queries(both, owner, car, django_assert_max_num_queries):
    with django_assert_max_num_queries(25):
        personal_data_export(member=owner)
    for index in range(5):
        issue_voucher(DefinitionFactory(name=f"More {index}"), vehicle=car)
    with django_assert_max_num_queries(25):
        personal_data_export(member=owner)
