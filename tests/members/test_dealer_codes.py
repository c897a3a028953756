"""Dealer codes have a format: checked with a translated message in the back office, backed by the
check constraint `dealer_code_format`, and brought to form for existing rows by the migration."""

import importlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from members.dealer_codes import dealer_code_normalise, validate_dealer_code
from members.models import Dealer
from tests.factories.staff import staff_user

pytestmark = pytest.mark.django_db

GOOD = ["TPE01", "KHH-02", "AB", "12", "A1-B2-C3-D4E"]
BAD = ["A", "", "tpe01", "-AB", "AB-", "A B", "ABCDEFGHIJKLM", "TPE_01", "ＴＰＥ０１", "台北01", "AB\n"]


@pytest.mark.parametrize("code", GOOD)
def test_codes_in_the_format_are_accepted(code):
    validate_dealer_code(code)
    Dealer.objects.create(code=code, name="x", city="台北市")


@pytest.mark.parametrize("code", BAD)
def test_codes_out_of_the_format_are_refused(code):
    with pytest.raises(ValidationError) as caught:
        validate_dealer_code(code)
    assert caught.value.code == "invalid_dealer_code"


@pytest.mark.parametrize("code", ["tpe01", "A", "-AB", "ABCDEFGHIJKLM", "TPE_01", "台北01"])
def test_the_database_refuses_them_too(code):
    with pytest.raises(IntegrityError), transaction.atomic():
        Dealer.objects.create(code=code, name="x", city="台北市")


def test_typed_codes_are_brought_to_form_first():
    assert dealer_code_normalise(" ｔｐｅ０１ ") == "TPE01"
    assert dealer_code_normalise("khh-02") == "KHH-02"


def _add(client, code: str, language: str = "en"):
    return client.post(
        reverse("admin:members_dealer_add"),
        {"code": code, "name": "新竹服務廠", "city": "新竹市", "address": "", "phone": "", "is_active": "on"},
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.fixture
def operator(client):
    client.force_login(staff_user("Operations", superuser=True))
    return client


def test_the_back_office_saves_a_typed_code_in_its_form(operator):
    response = _add(operator, " ｈｓｚ－０１ ")
    assert response.status_code == 302
    assert Dealer.objects.filter(code="HSZ-01").exists()


@pytest.mark.parametrize("code", ["A", "-AB", "ABCDEFGHIJKLM", "TPE_01", "台北01", "TPE 01"])
def test_the_back_office_refuses_a_code_out_of_the_format_with_a_translated_message(operator, code):
    english = _add(operator, code)
    assert english.status_code == 200
    assert "A dealer code is 2 to 12 upper-case letters" in english.content.decode()
    chinese = _add(operator, code, "zh-hant")
    assert "經銷商代碼為 2 至 12 個" in chinese.content.decode()
    assert not Dealer.objects.filter(name="新竹服務廠").exists()


def test_the_api_finds_a_dealer_by_its_code_in_lower_case():
    from tests.redemption.api_support import client_for, make_key, post, scene

    s = scene()
    _key, plaintext = make_key()
    url = f"/api/v1/vouchers/{s.voucher.code}/redeem"
    response = post(client_for(plaintext), url, {"dealer": s.dealer.code.lower(), "vin": s.vehicle.vin})
    assert response.status_code == 200, response.content


# --- the migration ----------------------------------------------------------------------------------

BEFORE = ("members", "0004_ratelimit_bucket_last_hit_at")
AFTER = ("members", "0005_dealer_code_format")


@pytest.fixture
def before_the_format():
    """The schema as it was before the format; migrated forward again afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    executor.loader.build_graph()
    old_dealer = executor.loader.project_state([BEFORE]).apps.get_model("members", "Dealer")
    yield old_dealer
    old_dealer.objects.all().delete()  # codes the migration refused would stop it again
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate_forward():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])


@pytest.mark.django_db(transaction=True)
def test_the_migration_brings_existing_codes_to_form(before_the_format):
    for code in ["TPE01", "tch01", " ｋｈｈ０１ ", "hsz 02", "tny_03"]:
        before_the_format.objects.create(code=code, name=code, city="台北市")
    _migrate_forward()
    assert sorted(Dealer.objects.values_list("code", flat=True)) == [
        "HSZ-02",
        "KHH01",
        "TCH01",
        "TNY-03",
        "TPE01",
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("codes", "named"), [(["TPE01", "台北一廠"], "台北一廠"), (["tpe01", "TPE01"], "tpe01")]
)
def test_the_migration_refuses_codes_it_cannot_bring_to_form_and_changes_nothing(
    before_the_format, codes, named
):
    for code in codes:
        before_the_format.objects.create(code=code, name=code, city="台北市")
    migration = importlib.import_module("members.migrations.0005_dealer_code_format")
    with pytest.raises(RuntimeError, match=named):
        migration.normalise_dealer_codes(_state_apps(), None)
    assert sorted(before_the_format.objects.values_list("code", flat=True)) == sorted(codes)


def _state_apps():
    executor = MigrationExecutor(connection)
    return executor.loader.project_state([BEFORE]).apps
