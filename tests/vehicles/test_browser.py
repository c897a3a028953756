"""In headless Chromium: an operator uploads a dealer's DMS file of vehicles (Big5, Chinese headers, an
ROC date), the dry run lists every rejected row with its reason, they confirm, the progress bar moves
as a worker imports chunk after chunk until done, and the results file downloads.

No django-q2 cluster runs here: the test plays the worker, one chunk at a time, so the page's
progress bar is seen between the start and the end (the page polls the progress endpoint).
"""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import VehicleFactory, VehicleModelFactory
from tests.factories.staff import staff_user
from vehicles.imports import services as imports
from vehicles.models import ImportBatch, ImportRow, Vehicle

VALID = [
    ("WBA5R1C00LF100001", "ABC-2001"),
    ("WBA5R1C00LF100002", "ABC-2002"),
    ("WBA5R1C00LF100003", "ABC-2003"),
    ("WBA5R1C00LF100004", "ABC-2004"),
    ("WBA5R1C00LF100005", "ABC-2005"),
    ("WBA5R1C00LF100006", "ABC-2006"),
]


def _file(taken_plate: str) -> bytes:
    future = timezone.localdate() + timedelta(days=30)
    roc_future = f"{future.year - 1911}/{future.month:02d}/{future.day:02d}"
    lines = ["車身號碼,車牌,車型,交車日"]
    lines += [f"{vin},{plate},X5,115/01/0{n + 1}" for n, (vin, plate) in enumerate(VALID)]
    lines += [
        "NOT-A-VIN,ABC-3001,X5,115/01/10",  # malformed VIN
        "WBA5R1C00LF100011,ABC-3002,火箭,115/01/10",  # unknown model
        f"WBA5R1C00LF100012,ABC-3003,X5,{roc_future}",  # delivered in the future
        f"WBA5R1C00LF100013,{taken_plate},X5,115/01/10",  # the plate is on another VIN
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp950")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_uploads_a_dms_file_checks_it_confirms_and_downloads_the_results(
    page, screenshot, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)  # several chunks, so the bar has somewhere to be
    staff_user("Operations", username="operator")
    VehicleModelFactory(code="X5", name="X5")
    taken = VehicleFactory(plate="TKN-0001", plate_key="TKN0001")
    base = page.base_url

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")

    # Upload: the dry run is queued; nothing changes yet.
    page.goto(f"{base}/admin/vehicles/importbatch/upload/")
    page.select_option("select[name=kind]", "vehicles")
    page.set_input_files(
        "input[name=upload]",
        files=[{"name": "dms-vehicles.csv", "mimeType": "text/csv", "buffer": _file(taken.plate)}],
    )
    screenshot(page, "upload")
    page.click("#import-check")
    page.wait_for_selector("#batch-status")
    batch = ImportBatch.objects.get()
    assert batch.rows_total == 10 and batch.file_name == "dms-vehicles.csv"

    # The worker checks the file; the page, polling, reloads with the figures and the rejected rows.
    imports.import_batch_check(batch_id=batch.pk)
    page.wait_for_selector("#rejected-rows")
    rejected = {row.row_number: row for row in batch.rows.filter(status=ImportRow.Status.REJECTED)}
    assert {n: row.reason for n, row in rejected.items()} == {
        8: "invalid_vin",
        9: "unknown_model",
        10: "date_in_future",
        11: "plate_taken",
    }
    table_rows = page.locator("#rejected-rows tbody tr")
    assert table_rows.count() == len(rejected)
    for i in range(table_rows.count()):
        number, reason, values = (cell.strip() for cell in table_rows.nth(i).locator("td").all_inner_texts())
        assert reason == rejected[int(number)].detail and reason
        assert values  # the row as the file gave it
    assert page.inner_text("#rows-valid").startswith("6")
    assert not Vehicle.objects.exclude(pk=taken.pk).exists()
    screenshot(page, "dry-run")

    # Confirm: queued, the bar at the share already decided (the rejected rows).
    page.click("#confirm-import")
    page.wait_for_selector("#batch-progress")
    bar = page.locator("#batch-progress")
    start = int(bar.get_attribute("value"))
    assert 0 <= start < 100

    # The worker imports one chunk (two rows); the bar moves without the operator doing anything.
    imports.import_batch_process(batch_id=batch.pk, time_budget=0)
    page.wait_for_function(f"() => document.getElementById('batch-progress').value > {start}")
    middle = page.evaluate("() => document.getElementById('batch-progress').value")
    assert start < middle < 100
    assert page.input_value("#resume-import") == "繼續匯入剩餘資料列"  # an import, not an issuance
    screenshot(page, "progress")

    # The worker finishes; the page reloads to the result.
    imports.import_batch_process(batch_id=batch.pk)
    page.wait_for_selector("#batch-result")
    assert page.evaluate("() => document.getElementById('batch-progress').value") == 100
    assert set(Vehicle.objects.exclude(pk=taken.pk).values_list("vin", flat=True)) == {v for v, _p in VALID}
    screenshot(page, "done")

    # The results file: one line per row of the file, each with its outcome.
    with page.expect_download() as download:
        page.click("#results-csv")
    assert download.value.suggested_filename == f"import-{batch.pk}-results.csv"
    text = open(download.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    lines = list(csv.reader(io.StringIO(text)))
    assert len(lines) == 1 + 10
    reasons = {int(line[0]): line[2] for line in lines[1:]}
    assert {n: reasons[n] for n in rejected} == {n: row.reason for n, row in rejected.items()}
    assert all(reasons[n] == "" for n in range(2, 8))
