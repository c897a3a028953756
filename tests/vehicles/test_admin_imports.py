"""Back office imports: upload, the dry run listing every rejected row with its reason, confirmation,
progress, and the results as CSV."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import VehicleModelFactory
from tests.factories.staff import staff_user, use_english
from vehicles.models import ImportBatch, Vehicle

pytestmark = pytest.mark.django_db

VIN1, VIN2 = "1HGCM82633A004352", "WBA5R1C00LF000099"
FILE = f"車身號碼,車牌,車型\n{VIN1},ABC-1234,RAV4\n{VIN2},ABC-1235,Nope\nBADVIN,ABC-1236,RAV4\n"


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-import")
    client.force_login(user)
    return user


@pytest.fixture
def sync_tasks(monkeypatch, django_capture_on_commit_callbacks):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    return lambda: django_capture_on_commit_callbacks(execute=True)


def upload(client, text, *, encoding="cp950", kind="vehicles", name="dms.csv"):
    return client.post(
        reverse("admin:vehicles_importbatch_upload"),
        {"kind": kind, "upload": SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")},
    )


def test_upload_dry_run_confirm_and_download(client, operator, sync_tasks):
    VehicleModelFactory(code="RAV4")
    with sync_tasks():
        response = upload(client, FILE)
    batch = ImportBatch.objects.get()
    assert response.url == reverse("admin:vehicles_importbatch_change", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.status, batch.created_by, batch.rows_valid, batch.rows_rejected) == (
        "prepared",
        operator,
        1,
        2,
    )

    page = client.get(response.url).content.decode()
    assert "No vehicle model has the code or name Nope." in page
    assert "A VIN has 17 characters" in page
    assert 'id="confirm-import"' in page
    assert not Vehicle.objects.exists()

    with sync_tasks():
        client.post(reverse("admin:vehicles_importbatch_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert (batch.status, batch.rows_applied, batch.rows_done) == ("done", 1, 3)
    assert Vehicle.objects.get().vin == VIN1

    progress = client.get(reverse("admin:vehicles_importbatch_progress", args=[batch.pk])).json()
    assert (progress["percent"], progress["finished"]) == (100, True)
    results = client.get(reverse("admin:vehicles_importbatch_results", args=[batch.pk]))
    lines = results.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,status,reason,detail,values"
    assert lines[1].startswith("2,Imported,")
    assert lines[2].startswith("3,Rejected,unknown_model,")
    rejected = client.get(reverse("admin:vehicles_importbatch_results", args=[batch.pk]) + "?rejected=1")
    assert len(rejected.content.decode("utf-8-sig").splitlines()) == 3


def test_a_file_with_missing_columns_is_refused_with_one_message(client, operator):
    response = upload(client, "vin,plate\n")

    assert response.status_code == 200
    assert "The file has no column for: model." in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_cancel_imports_nothing(client, operator, sync_tasks):
    VehicleModelFactory(code="RAV4")
    with sync_tasks():
        upload(client, FILE)
    batch = ImportBatch.objects.get()

    client.post(reverse("admin:vehicles_importbatch_cancel", args=[batch.pk]))
    client.post(reverse("admin:vehicles_importbatch_confirm", args=[batch.pk]))

    batch.refresh_from_db()
    assert batch.status == "cancelled"
    assert not Vehicle.objects.exists()


def test_read_only_roles_cannot_upload_or_confirm(client):
    client.force_login(staff_user("Finance", username="fin-import"))

    assert client.get(reverse("admin:vehicles_importbatch_upload")).status_code == 403
