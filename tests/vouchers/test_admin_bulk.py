"""Bulk issuance: whitelist reading, the dry run's reasons, confirmation, idempotent chunked issuance."""

from datetime import date

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Segment
from tests.factories import (
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from tests.factories.staff import staff_user, use_english
from vehicles.models import Vehicle
from vouchers import signals, tasks
from vouchers.bulk_csv import WhitelistUnreadable, whitelist_decode, whitelist_values
from vouchers.exceptions import DefinitionNotIssuable
from vouchers.models import IssueBatch, IssueBatchRow, LedgerEntry, Voucher, VoucherDefinition
from vouchers.services.bulk import issue_batch_confirm, issue_batch_prepare, issue_batch_process
from vouchers.services.issuance import voucher_terms

pytestmark = pytest.mark.django_db
Reason = IssueBatchRow.Reason


@pytest.fixture(autouse=True)
def english(settings):
    use_english(settings)


@pytest.fixture
def operator(client):
    user = staff_user("Operations", username="ops-bulk")
    client.force_login(user)
    return user


@pytest.fixture
def sync_tasks(monkeypatch, django_capture_on_commit_callbacks):
    """Run django-q2 tasks inline (the cluster's sync mode) when the transaction that queued them
    commits; `sync_tasks()` is the context in which that happens."""
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    return lambda: django_capture_on_commit_callbacks(execute=True)


def prepare(definition, lines, **kwargs):
    values = list(enumerate(lines, start=1))
    return issue_batch_prepare(
        definition=definition,
        reason="spring campaign",
        source_kind="file",
        source_label="list.csv",
        values=values,
        **kwargs,
    )


def rows_by_number(batch):
    return {row.row_number: row for row in batch.rows.all()}


# --- reading the file -----------------------------------------------------------------------------


def test_whitelist_reads_utf8_with_and_without_bom_and_big5():
    text = "車牌\nabc-1234\n1234-AB\n"
    assert whitelist_decode(text.encode("utf-8")) == text
    assert whitelist_decode(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert whitelist_decode(text.encode("big5")) == text
    assert whitelist_values(text, max_rows=10) == [(2, "abc-1234"), (3, "1234-AB")]


def test_whitelist_keeps_line_numbers_and_skips_blank_lines():
    assert whitelist_values("ABC-1234,x\n\n  ,0912345678\n", max_rows=10) == [
        (1, "ABC-1234"),
        (3, "0912345678"),
    ]


def test_whitelist_refuses_unreadable_and_oversized_files():
    with pytest.raises(WhitelistUnreadable):
        whitelist_decode("ABC-1234".encode("utf-16"))
    with pytest.raises(Exception, match="whitelist_too_large"):
        whitelist_values("1\n2\n3\n", max_rows=2)


# --- the dry run ----------------------------------------------------------------------------------


def test_dry_run_gives_each_rejected_row_its_reason():
    definition = DefinitionFactory(stock_total=3)
    a, b, c, d = (OwnedVehicleFactory() for _ in range(4))
    lines = [
        a.plate.lower().replace("-", " "),  # 1 plate in another spelling
        b.vin,  # 2 VIN
        "not a plate!",  # 3 malformed
        "ZZZ-9999",  # 4 well-formed, unknown
        a.plate,  # 5 same car as row 1
        c.plate,  # 6 issued
        d.plate,  # 7 beyond the stock of 3
    ]
    batch = prepare(definition, lines)
    rows = rows_by_number(batch)
    assert [rows[n].status for n in (1, 2, 6)] == ["pending"] * 3
    assert rows[1].vehicle_id == a.pk and rows[2].vehicle_id == b.pk
    assert rows[3].reason == Reason.MALFORMED
    assert rows[4].reason == Reason.UNKNOWN
    assert rows[5].reason == Reason.DUPLICATE and "row 1" in rows[5].detail
    assert rows[7].reason == Reason.STOCK_EXHAUSTED
    assert (batch.rows_total, batch.rows_valid, batch.rows_rejected) == (7, 3, 4)
    assert not Voucher.objects.exists()  # a dry run issues nothing


def test_dry_run_rejects_ineligible_holders():
    model, other_model = VehicleModelFactory(), VehicleModelFactory()
    definition = DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE)
    definition.allowed_models.add(model)
    eligible = OwnedVehicleFactory(model=model)
    wrong_model = OwnedVehicleFactory(model=other_model)
    ownerless = VehicleFactory(model=model)
    batch = prepare(definition, [eligible.plate, wrong_model.plate, ownerless.plate])
    rows = rows_by_number(batch)
    assert rows[1].status == "pending" and rows[1].member_id is not None
    assert rows[2].reason == Reason.NOT_ELIGIBLE and "model" in rows[2].detail
    assert rows[3].reason == Reason.NOT_ELIGIBLE and "owner" in rows[3].detail


def test_dry_run_resolves_phones_and_respects_the_per_holder_limit():
    definition = DefinitionFactory(per_holder_limit=1)
    one_car = OwnedVehicleFactory()
    owner = one_car.ownerships.get().member
    two_cars = MemberFactory()
    OwnedVehicleFactory(owner=two_cars)
    OwnedVehicleFactory(owner=two_cars)
    has_one = OwnedVehicleFactory()
    issue_voucher(definition, vehicle=has_one)
    national = "0" + owner.phone[4:7] + "-" + owner.phone[7:10] + "-" + owner.phone[10:]
    batch = prepare(definition, [national, two_cars.phone, "0987-654-321", has_one.plate])
    rows = rows_by_number(batch)
    assert rows[1].status == "pending" and rows[1].vehicle_id == one_car.pk
    assert rows[2].reason == Reason.NOT_ELIGIBLE and "several" in rows[2].detail
    assert rows[3].reason == Reason.UNKNOWN
    assert rows[4].reason == Reason.NOT_ELIGIBLE


def test_dry_run_refuses_a_definition_that_is_not_issuable():
    definition = DefinitionFactory(status=VoucherDefinition.Status.DRAFT)
    with pytest.raises(DefinitionNotIssuable):
        prepare(definition, ["ABC-1234"])
    definition = DefinitionFactory(channel_manual=False)
    with pytest.raises(DefinitionNotIssuable):
        prepare(definition, ["ABC-1234"])


# --- issuing --------------------------------------------------------------------------------------


def test_issuing_creates_vouchers_ledger_entries_and_keeps_stock_exact(sync_tasks):
    definition = DefinitionFactory(stock_total=10, uses_per_voucher=3)
    cars = [OwnedVehicleFactory() for _ in range(4)]
    batch = prepare(definition, [c.plate for c in cars] + ["bad"])
    with sync_tasks():
        issue_batch_confirm(batch=batch)
    batch.refresh_from_db()
    assert batch.status == IssueBatch.Status.DONE
    assert (batch.rows_issued, batch.vouchers_issued, batch.rows_rejected) == (4, 4, 1)
    vouchers = Voucher.objects.filter(definition=definition)
    assert {v.vehicle_id for v in vouchers} == {c.pk for c in cars}
    assert all(v.source == "bulk" and v.uses_left == 3 for v in vouchers)
    entries = LedgerEntry.objects.filter(voucher__definition=definition, kind="issued")
    assert entries.count() == 4 and {e.delta for e in entries} == {3}
    assert {e.reason for e in entries} == {"spring campaign"}
    definition.refresh_from_db()
    assert definition.stock_issued == 4


def test_confirming_twice_or_running_the_task_again_never_issues_twice(sync_tasks):
    definition = DefinitionFactory()
    cars = [OwnedVehicleFactory() for _ in range(5)]
    batch = prepare(definition, [c.plate for c in cars])
    with sync_tasks():
        issue_batch_confirm(batch=batch)
    with sync_tasks():
        issue_batch_confirm(batch=batch)
    tasks.issue_batch_run(batch.pk)
    issue_batch_process(batch_id=batch.pk)
    assert Voucher.objects.filter(definition=definition).count() == 5
    definition.refresh_from_db()
    assert definition.stock_issued == 5


def test_a_worker_killed_mid_way_resumes_without_duplicates(monkeypatch):
    definition = DefinitionFactory(stock_total=100)
    cars = [OwnedVehicleFactory() for _ in range(7)]
    batch = prepare(definition, [c.plate for c in cars])
    issue_batch_confirm(batch=batch)  # not synchronous: nothing runs yet

    from vouchers.services import bulk

    real = bulk._issue_rows
    calls = {"n": 0}

    def dies_on_second_chunk(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(bulk, "_issue_rows", dies_on_second_chunk)
    with pytest.raises(SystemExit):
        issue_batch_process(batch_id=batch.pk, chunk_size=3)
    assert Voucher.objects.filter(definition=definition).count() == 3  # the first chunk committed
    batch.refresh_from_db()
    assert batch.status == IssueBatch.Status.RUNNING and batch.rows_issued == 3

    monkeypatch.setattr(bulk, "_issue_rows", real)
    batch = issue_batch_process(batch_id=batch.pk, chunk_size=3)  # the retried task
    assert batch.status == IssueBatch.Status.DONE
    assert Voucher.objects.filter(definition=definition).count() == 7
    assert sorted(Voucher.objects.values_list("vehicle_id", flat=True)) == sorted(c.pk for c in cars)
    definition.refresh_from_db()
    assert definition.stock_issued == 7


def test_stock_taken_after_the_dry_run_rejects_rows_at_issue_time(sync_tasks):
    definition = DefinitionFactory(stock_total=2)
    cars = [OwnedVehicleFactory() for _ in range(2)]
    batch = prepare(definition, [c.plate for c in cars])
    issue_voucher(definition, vehicle=OwnedVehicleFactory())  # someone else takes one unit meanwhile
    with sync_tasks():
        issue_batch_confirm(batch=batch)
    batch.refresh_from_db()
    assert (batch.rows_issued, batch.rows_rejected) == (1, 1)
    assert batch.rows.get(status="rejected").reason == Reason.STOCK_EXHAUSTED
    definition.refresh_from_db()
    assert definition.stock_issued == 2


def test_stock_running_out_inside_a_chunk_rejects_the_later_rows_and_counts_each_chunk():
    definition = DefinitionFactory(stock_total=5)
    cars = [OwnedVehicleFactory() for _ in range(5)]
    batch = prepare(definition, [c.plate for c in cars])
    for _ in range(2):  # two units go elsewhere after the dry run
        issue_voucher(definition, vehicle=OwnedVehicleFactory())
    issue_batch_confirm(batch=batch)
    returned = issue_batch_process(batch_id=batch.pk, chunk_size=2)  # the second chunk has 1 unit for 2 rows
    batch.refresh_from_db()
    counters = ("status", "rows_done", "rows_issued", "rows_rejected", "vouchers_issued")
    assert [getattr(batch, f) for f in counters] == [IssueBatch.Status.DONE, 5, 3, 2, 3]
    assert [getattr(returned, f) for f in counters] == [getattr(batch, f) for f in counters]
    rows = rows_by_number(batch)
    issued = [n for n, row in rows.items() if row.status == IssueBatchRow.Status.ISSUED]
    rejected = [n for n, row in rows.items() if row.status == IssueBatchRow.Status.REJECTED]
    assert issued == sorted(rows)[:3] and rejected == sorted(rows)[3:]
    assert {rows[n].reason for n in rejected} == {Reason.STOCK_EXHAUSTED}
    assert all(rows[n].issued_at is not None for n in issued)
    vouchers = Voucher.objects.filter(external_ref__startswith=f"batch:{batch.pk}:")
    assert sorted(v.vehicle_id for v in vouchers) == sorted(rows[n].vehicle_id for n in issued)
    assert LedgerEntry.objects.filter(voucher__in=vouchers, kind="issued").count() == 3
    definition.refresh_from_db()
    assert definition.stock_issued == 5


def test_a_definition_paused_mid_way_stops_the_batch():
    definition = DefinitionFactory()
    batch = prepare(definition, [OwnedVehicleFactory().plate])
    issue_batch_confirm(batch=batch)
    VoucherDefinition.objects.filter(pk=definition.pk).update(status="paused")
    batch = issue_batch_process(batch_id=batch.pk)
    assert batch.status == IssueBatch.Status.STOPPED and batch.last_error
    assert not Voucher.objects.exists()


def test_series_definitions_issue_every_voucher_of_the_series(sync_tasks):
    definition = DefinitionFactory(validity_policy="delivery_window", series_count=3, validity_days=None)
    car = OwnedVehicleFactory(delivery_date=timezone.localdate())
    batch = prepare(definition, [car.plate])
    with sync_tasks():
        issue_batch_confirm(batch=batch)
    assert Voucher.objects.filter(vehicle=car).count() == 3
    batch.refresh_from_db()
    assert batch.vouchers_issued == 3


def test_issued_vouchers_and_entries_name_their_batch_row_and_are_announced_by_id(sync_tasks):
    definition = DefinitionFactory(validity_policy="delivery_window", series_count=2, validity_days=None)
    cars = [OwnedVehicleFactory(delivery_date=date(2025, 3, d)) for d in (1, 1, 20)]
    batch = prepare(definition, [c.plate for c in cars])
    announced = []

    def listen(sender, *, voucher_ids, source, **kwargs):
        announced.extend(voucher_ids)

    signals.voucher_issued.connect(listen, sender=Voucher)
    try:
        with sync_tasks():
            issue_batch_confirm(batch=batch)
    finally:
        signals.voucher_issued.disconnect(listen, sender=Voucher)
    vouchers = Voucher.objects.filter(definition=definition).order_by("vehicle_id", "series_index")
    assert sorted(announced) == sorted(v.pk for v in vouchers) and len(announced) == 6
    for row_number, car in enumerate(cars, start=1):
        series = [v for v in vouchers if v.vehicle_id == car.pk]
        assert [v.series_index for v in series] == [0, 1]
        assert {v.external_ref for v in series} == {f"batch:{batch.pk}:{row_number}"}
        # each voucher of a series its own window, counted from the vehicle's delivery date
        assert series[0].valid_until < series[1].valid_from
        assert timezone.localtime(series[0].valid_from).date() == car.delivery_date
        for voucher in series:
            entry = voucher.ledger.get()
            assert (entry.kind, entry.delta, entry.status_after, entry.uses_left_after) == (
                "issued",
                voucher.uses_total,
                voucher.status,
                voucher.uses_left,
            )
            assert entry.data == {"source": "bulk", "batch": batch.pk, "row": row_number}
            assert entry.actor_label == f"system:bulk:{batch.pk}"
    assert len({v.code for v in vouchers}) == 6


def test_a_delivery_date_gone_after_the_dry_run_rejects_the_row_at_issue_time(sync_tasks):
    definition = DefinitionFactory(validity_policy="delivery_window", validity_days=None, stock_total=5)
    lost, kept = (OwnedVehicleFactory(delivery_date=date(2025, 3, 1 + n)) for n in range(2))
    batch = prepare(definition, [lost.plate, kept.plate])
    assert batch.rows_valid == 2
    Vehicle.objects.filter(pk=lost.pk).update(delivery_date=None)
    with sync_tasks():
        issue_batch_confirm(batch=batch)
    batch.refresh_from_db()
    assert (batch.rows_issued, batch.rows_rejected, batch.vouchers_issued) == (1, 1, 1)
    rejected = batch.rows.get(status="rejected")
    assert rejected.row_number == 1 and rejected.reason == Reason.NOT_ELIGIBLE and rejected.detail
    assert list(Voucher.objects.values_list("vehicle_id", flat=True)) == [kept.pk]
    definition.refresh_from_db()
    assert definition.stock_issued == 1


@pytest.mark.parametrize(
    ("policy", "activation"),
    [("no_expiry", "automatic"), ("days_from_activation", "holder"), ("fixed", "operations")],
)
def test_every_validity_policy_and_activation_mode_issues_in_bulk(sync_tasks, policy, activation):
    definition = DefinitionFactory(
        validity_policy=policy,
        activation_mode=activation,
        validity_days=30 if policy == "days_from_activation" else None,
        valid_from_date=date(2026, 1, 1) if policy == "fixed" else None,
        valid_until_date=date(2026, 12, 31) if policy == "fixed" else None,
    )
    cars = [OwnedVehicleFactory() for _ in range(2)]
    batch = prepare(definition, [c.plate for c in cars])
    with sync_tasks():
        issue_batch_confirm(batch=batch)
    vouchers = list(Voucher.objects.filter(definition=definition))
    assert len(vouchers) == 2
    expected = voucher_terms(definition, now=vouchers[0].issued_at, delivery_date=None, series_index=0)
    for voucher in vouchers:
        assert (voucher.status, voucher.activated_at, voucher.valid_from, voucher.valid_until) == expected
        assert voucher.ledger.get().status_after == voucher.status


# --- through the admin ----------------------------------------------------------------------------


def test_admin_upload_is_checked_by_a_task_and_the_page_waits_for_it(
    client, operator, django_capture_on_commit_callbacks
):
    definition = DefinitionFactory()
    car = OwnedVehicleFactory()
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk]),
            {
                "source": "file",
                "identifier_kind": "plate",
                "reason": "x",
                "whitelist": upload("a.csv", car.plate),
            },
        )
    batch = IssueBatch.objects.get()
    assert batch.status == IssueBatch.Status.CHECKING and len(queued) == 1
    page = client.get(response["Location"])
    assert page.context["active"] and 'id="batch-checking"' in page.content.decode()
    progress = client.get(reverse("admin:vouchers_issuebatch_progress", args=[batch.pk])).json()
    assert progress["status"] == "checking" and not progress["checked"]
    with django_capture_on_commit_callbacks() as requeued:
        client.post(reverse("admin:vouchers_issuebatch_resume", args=[batch.pk]))  # the worker was lost
    assert len(requeued) == 1
    tasks.issue_batch_check_run(batch.pk)
    tasks.issue_batch_check_run(batch.pk)  # a retried task changes nothing
    batch.refresh_from_db()
    assert (batch.status, batch.rows_valid, batch.rows.count()) == ("prepared", 1, 1)
    assert not Voucher.objects.exists()


def upload(name, text, encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_admin_dry_run_confirm_progress_and_download(client, operator, sync_tasks):
    definition = DefinitionFactory()
    cars = [OwnedVehicleFactory() for _ in range(2)]
    text = f"車牌\n{cars[0].plate}\n{cars[1].plate}\nXX\n"
    with sync_tasks():  # the dry run is a task too
        response = client.post(
            reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk]),
            {
                "source": "file",
                "identifier_kind": "auto",
                "reason": "VIP list",
                "whitelist": upload("vip.csv", text, "big5"),
            },
        )
    assert response.status_code == 302
    batch = IssueBatch.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert [r.raw for r in page.context["rejected"]] == ["XX"]
    csv_text = client.get(reverse("admin:vouchers_issuebatch_rejected", args=[batch.pk])).content.decode(
        "utf-8-sig"
    )
    assert "XX" in csv_text and "Malformed" in csv_text and csv_text.splitlines()[1].startswith("4,")

    progress = client.get(reverse("admin:vouchers_issuebatch_progress", args=[batch.pk])).json()
    assert progress["status"] == "prepared" and progress["rows_valid"] == 2
    with sync_tasks():
        response = client.post(reverse("admin:vouchers_issuebatch_confirm", args=[batch.pk]))
    assert response.status_code == 302
    progress = client.get(reverse("admin:vouchers_issuebatch_progress", args=[batch.pk])).json()
    assert progress == {**progress, "status": "done", "rows_issued": 2, "percent": 100, "finished": True}
    assert Voucher.objects.count() == 2
    assert LogEntry.objects.filter(object_id=str(batch.pk)).exists()
    with sync_tasks():
        client.post(reverse("admin:vouchers_issuebatch_confirm", args=[batch.pk]))
    assert Voucher.objects.count() == 2


def test_admin_shows_a_file_problem_on_the_form(client, operator):
    definition = DefinitionFactory()
    url = reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk])
    response = client.post(
        url,
        {
            "source": "file",
            "identifier_kind": "auto",
            "reason": "x",
            "whitelist": upload("x.csv", "ABC-1234", "utf-16"),
        },
    )
    assert response.status_code == 200 and "whitelist" in response.context["form"].errors
    response = client.post(url, {"source": "file", "identifier_kind": "auto", "reason": "x"})
    assert "whitelist" in response.context["form"].errors
    paused = DefinitionFactory(status="paused")
    response = client.post(
        reverse("admin:vouchers_voucherdefinition_bulk", args=[paused.pk]),
        {
            "source": "file",
            "identifier_kind": "auto",
            "reason": "x",
            "whitelist": upload("x.csv", "ABC-1234"),
        },
    )
    assert response.status_code == 200
    assert "not published" in str(response.context["form"].non_field_errors())
    assert not IssueBatch.objects.exists()


def test_admin_issues_to_a_saved_segment(client, operator, sync_tasks):
    definition = DefinitionFactory()
    model = VehicleModelFactory()
    in_segment = [OwnedVehicleFactory(model=model) for _ in range(2)]
    OwnedVehicleFactory()  # another model: outside the segment
    segment = Segment.objects.create(name="X5 owners")
    segment.vehicle_models.add(model)
    with sync_tasks():
        response = client.post(
            reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk]),
            {"source": f"segment:{segment.pk}", "identifier_kind": "auto", "reason": "segment campaign"},
        )
    assert response.status_code == 302
    batch = IssueBatch.objects.get()
    assert batch.source_kind == "audience" and batch.source_label == "X5 owners" and batch.rows_valid == 2
    with sync_tasks():
        client.post(reverse("admin:vouchers_issuebatch_confirm", args=[batch.pk]))
    assert set(Voucher.objects.values_list("vehicle_id", flat=True)) == {v.pk for v in in_segment}


def test_finance_sees_batches_but_cannot_issue(client, sync_tasks):
    definition = DefinitionFactory()
    batch = prepare(definition, [OwnedVehicleFactory().plate])
    client.force_login(staff_user("Finance", username="fin-bulk"))
    assert client.get(reverse("admin:vouchers_issuebatch_change", args=[batch.pk])).status_code == 200
    assert client.post(reverse("admin:vouchers_issuebatch_confirm", args=[batch.pk])).status_code == 403
    assert (
        client.get(reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk])).status_code == 403
    )
    assert not Voucher.objects.exists()


def test_rejected_rows_download_cannot_run_as_spreadsheet_formulas(client, operator, sync_tasks):
    definition = DefinitionFactory()
    text = 'plate\n=HYPERLINK("http://evil.example","x")\n@SUM(1)\nXX\n'
    with sync_tasks():
        response = client.post(
            reverse("admin:vouchers_voucherdefinition_bulk", args=[definition.pk]),
            {
                "source": "file",
                "identifier_kind": "auto",
                "reason": "list",
                "whitelist": upload("x.csv", text),
            },
        )
    assert response.status_code == 302
    batch = IssueBatch.objects.get()
    csv_text = client.get(reverse("admin:vouchers_issuebatch_rejected", args=[batch.pk])).content.decode(
        "utf-8-sig"
    )
    import csv as csv_module
    import io

    values = [row[1] for row in list(csv_module.reader(io.StringIO(csv_text)))[1:]]
    assert len(values) == 3
    assert all(not value.startswith(("=", "@", "+", "-")) for value in values), values
    assert "XX" in values
