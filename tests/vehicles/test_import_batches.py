"""Import batches: each record kind from a file, every rejection reason, re-import changes nothing,
the dry run changes nothing, a lost worker resumes, and the import_dms command."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    MemberFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vehicles.imports import services as import_services
from vehicles.imports.files import MissingColumns
from vehicles.imports.services import (
    import_batch_cancel,
    import_batch_check,
    import_batch_confirm,
    import_batch_process,
    import_batch_resume,
    import_batch_run_now,
    import_batch_submit,
)
from vehicles.models import (
    DataChange,
    ImportBatch,
    ImportRow,
    MileageReading,
    Ownership,
    Vehicle,
    VehicleModel,
    Visit,
)
from vehicles.services import local_start
from vouchers.models import Voucher, VoucherDefinition

pytestmark = pytest.mark.django_db

VIN1, VIN2, VIN3 = "1HGCM82633A004352", "WBA5R1C00LF000099", "JH4KA8260MC000000"
# A month ahead, not tomorrow: the module is imported once, and a run that crosses midnight in
# Taipei would turn "tomorrow" into today.
FUTURE = (timezone.localdate() + timedelta(days=30)).isoformat()


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def submit(kind, text, *, encoding="utf-8", **kwargs):
    return import_batch_submit(
        kind=kind, stream=io.BytesIO(text.encode(encoding)), file_name=f"{kind}.csv", check_now=True, **kwargs
    )


def run(kind, text, **kwargs):
    return import_batch_run_now(batch_id=submit(kind, text, **kwargs).pk)


def reasons(batch):
    return dict(ImportRow.objects.filter(batch=batch, status="rejected").values_list("row_number", "reason"))


@pytest.fixture
def setup():
    return {
        "model": VehicleModelFactory(code="RAV4", name="RAV4 Hybrid"),
        "dealer": DealerFactory(code="TPE01"),
    }


# --- vehicles -------------------------------------------------------------------------------------

VEHICLES = (
    "vin,plate,model,model_year,delivery_date,dealer\n"
    f"{VIN1},ABC-1234,RAV4,2025,115/01/05,TPE01\n"
    f"{VIN2},abc1235,rav4 hybrid,114,2026/01/06,\n"
)


def test_vehicles_import_creates_then_a_second_import_changes_nothing(setup):
    batch = run("vehicles", VEHICLES)

    assert (batch.status, batch.rows_applied, batch.rows_unchanged, batch.rows_rejected) == ("done", 2, 0, 0)
    first = Vehicle.objects.get(vin=VIN1)
    assert (first.plate, first.model, first.model_year, first.delivery_date, first.selling_dealer) == (
        "ABC-1234",
        setup["model"],
        2025,
        date(2026, 1, 5),
        setup["dealer"],
    )
    assert Vehicle.objects.get(vin=VIN2).model_year == 2025

    again = run("vehicles", VEHICLES)

    assert (again.rows_applied, again.rows_unchanged) == (0, 2)
    assert not DataChange.objects.exists()


def test_vehicles_import_updates_a_changed_value_and_logs_it(setup):
    run("vehicles", VEHICLES)

    batch = run("vehicles", VEHICLES.replace("ABC-1234", "ABC-9999"))

    assert (batch.rows_applied, batch.rows_unchanged) == (1, 1)
    change = DataChange.objects.get()
    assert (change.field, change.old_value, change.new_value, change.source_label) == (
        "plate",
        "ABC-1234",
        "ABC-9999",
        "vehicles.csv",
    )


def test_vehicles_big5_file_with_chinese_headers(setup):
    text = f"車身號碼,車牌,車型,年份,交車日,經銷商\n{VIN1},ABC-1234,RAV4 Hybrid,114,1150105,TPE01\n"

    batch = run("vehicles", text, encoding="cp950")

    assert batch.rows_applied == 1
    assert Vehicle.objects.get(vin=VIN1).delivery_date == date(2026, 1, 5)


def test_vehicles_every_rejection_reason_and_nothing_half_applied(setup):
    VehicleFactory(vin=VIN3, plate="TAK-0001")
    text = (
        "vin,plate,model,model_year,delivery_date,dealer\n"
        "NOT-A-VIN,ABC-1234,RAV4,,,\n"  # 2
        f"{VIN1},???,RAV4,,,\n"  # 3
        f"{VIN1},ABC-1234,Unknown,,,\n"  # 4
        f"{VIN1},ABC-1234,RAV4,,2026/13/01,\n"  # 5
        f"{VIN1},ABC-1234,RAV4,,{FUTURE},\n"  # 6
        f"{VIN1},ABC-1234,RAV4,,,NOPE\n"  # 7
        f"{VIN1},TAK-0001,RAV4,,,\n"  # 8: plate on another VIN
        f"{VIN1},ABC-1234,RAV4,abc,,\n"  # 9
        f"{VIN2},ABC-1235,RAV4,,,\n"  # 10: fine
        f"{VIN2},ABC-1236,RAV4,,,\n"  # 11: same VIN again in the file
    )

    batch = run("vehicles", text)

    assert reasons(batch) == {
        2: "invalid_vin",
        3: "invalid_plate",
        4: "unknown_model",
        5: "malformed_date",
        6: "date_in_future",
        7: "unknown_dealer",
        8: "plate_taken",
        9: "malformed_number",
        11: "duplicate_row",
    }
    assert ImportRow.objects.get(batch=batch, row_number=8).detail.endswith(f"(VIN {VIN3}).")
    assert list(Vehicle.objects.order_by("vin").values_list("vin", flat=True)) == [VIN3, VIN2]
    assert (batch.rows_applied, batch.rows_rejected, batch.rows_done, batch.rows_total) == (1, 9, 10, 10)


def test_unknown_models_are_created_when_the_operator_chose_to(setup):
    text = f"vin,plate,model\n{VIN1},ABC-1234,Corolla Cross\n"

    batch = submit("vehicles", text, create_models=True)
    assert batch.rows_valid == 1
    assert not VehicleModel.objects.filter(name="Corolla Cross").exists()  # the dry run creates nothing
    import_batch_run_now(batch_id=batch.pk)

    assert Vehicle.objects.get(vin=VIN1).model.name == "Corolla Cross"


def test_a_delivery_in_the_file_issues_the_delivery_event_once(setup, django_capture_on_commit_callbacks):
    from django_q.conf import Conf

    Conf.SYNC, was = True, Conf.SYNC
    try:
        gift = DefinitionFactory(
            trigger_event=VoucherDefinition.TriggerEvent.VEHICLE_DELIVERED,
            channel_event=True,
            holder_type=VoucherDefinition.HolderType.VEHICLE,
        )
        with django_capture_on_commit_callbacks(execute=True):
            run("vehicles", VEHICLES)
        with django_capture_on_commit_callbacks(execute=True):
            run("vehicles", VEHICLES)
    finally:
        Conf.SYNC = was

    assert Voucher.objects.filter(definition=gift).count() == 2  # one per vehicle, not per import


# --- the pipeline --------------------------------------------------------------------------------


def test_the_dry_run_lists_rejections_and_writes_nothing_until_confirmed(setup):
    batch = submit("vehicles", VEHICLES + "BAD,ABC-1,RAV4,,,\n")

    assert (batch.status, batch.rows_total, batch.rows_valid, batch.rows_rejected) == ("prepared", 3, 2, 1)
    assert not Vehicle.objects.exists()
    confirmed = import_batch_confirm(batch=batch)
    assert import_batch_confirm(batch=confirmed).status == "queued"  # twice: queued once
    import_batch_process(batch_id=batch.pk)
    assert Vehicle.objects.count() == 2


def test_a_cancelled_batch_imports_nothing(setup):
    batch = import_batch_cancel(batch=submit("vehicles", VEHICLES))

    assert import_batch_confirm(batch=batch).status == "cancelled"
    assert not Vehicle.objects.exists()


def test_a_worker_lost_mid_way_resumes_without_applying_a_row_twice(setup, monkeypatch):
    monkeypatch.setattr(import_services, "CHUNK_ROWS", 2)
    lines = [f"{VehicleFactory.build().vin},{VehicleFactory.build().plate},RAV4" for _ in range(5)]
    batch = import_batch_confirm(batch=submit("vehicles", "vin,plate,model\n" + "\n".join(lines)))

    import_batch_process(batch_id=batch.pk, time_budget=0)  # one chunk, then the worker "dies"
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, Vehicle.objects.count()) == ("running", 2, 2)
    import_batch_resume(batch=batch)
    import_batch_process(batch_id=batch.pk)
    import_batch_process(batch_id=batch.pk)  # a duplicate task finds nothing left

    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.rows_applied, Vehicle.objects.count()) == ("done", 5, 5, 5)


def test_the_check_is_queued_as_a_task_after_commit(setup, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr(import_services, "async_task", lambda name, *args, **kw: queued.append((name, args)))
    with django_capture_on_commit_callbacks(execute=True):
        batch = import_batch_submit(kind="vehicles", stream=io.BytesIO(VEHICLES.encode()), file_name="v.csv")

    assert queued == [("vehicles.tasks.import_batch_check_run", (batch.pk,))]
    assert import_batch_check(batch_id=batch.pk).status == "prepared"


def test_missing_columns_refuse_the_whole_file_and_store_nothing(setup):
    with pytest.raises(MissingColumns):
        submit("visits", "vin,date\n")

    assert not ImportBatch.objects.exists()


# --- owners ---------------------------------------------------------------------------------------


def test_owners_import_creates_members_and_first_ownership_then_changes_nothing(setup):
    car = VehicleFactory(vin=VIN1)
    text = (
        "車身號碼,姓名,手機,電子郵件,生日,過戶日\n"
        f"{VIN1},王小明,0912-345-678,wang@example.com,69/05/01,115/01/05\n"
    )

    batch = run("owners", text)
    again = run("owners", text)

    ownership = Ownership.objects.get(vehicle=car)
    assert (
        ownership.member.phone,
        ownership.member.birthday,
        ownership.started_at,
        ownership.is_first_owner,
    ) == (
        "+886912345678",
        date(1980, 5, 1),
        local_start(date(2026, 1, 5)),
        True,
    )
    assert (batch.rows_applied, again.rows_applied, again.rows_unchanged) == (1, 0, 1)


def test_owners_import_announces_the_new_owner_once_however_often_imported(
    setup, django_capture_on_commit_callbacks
):
    """The other event imports cause: an owner bound to the car issues what "vehicle bound" asks for
    once, whether the same file comes again or a later file only changes the owner's e-mail."""
    from django_q.conf import Conf

    car = VehicleFactory(vin=VIN1)
    welcome = DefinitionFactory(
        trigger_event=VoucherDefinition.TriggerEvent.VEHICLE_BOUND,
        channel_event=True,
        holder_type=VoucherDefinition.HolderType.VEHICLE,
    )
    first = f"vin,name,phone,email,owner_since\n{VIN1},王小明,0912-345-678,a@example.com,115/01/05\n"
    changed = first.replace("a@example.com", "b@example.com")
    Conf.SYNC, was = True, Conf.SYNC
    try:
        for text in (first, first, changed):
            with django_capture_on_commit_callbacks(execute=True):
                run("owners", text)
    finally:
        Conf.SYNC = was

    assert Voucher.objects.filter(definition=welcome, vehicle=car).count() == 1
    assert Ownership.objects.get(vehicle=car).member.email == "b@example.com"


def test_owners_import_of_another_owner_is_a_transfer_with_its_rules(setup):
    seller = MemberFactory()
    car = OwnedVehicleFactory(vin=VIN1, owner=seller)
    Ownership.objects.filter(vehicle=car).update(started_at=local_start(date(2025, 1, 1)))
    first_owner = issue_voucher(
        DefinitionFactory(holder_type=VoucherDefinition.HolderType.MEMBER_VEHICLE), member=seller, vehicle=car
    )

    batch = submit("owners", f"vin,name,phone,owner_since\n{VIN1},新車主,0933-111-222,2026-02-01\n")
    first_owner.refresh_from_db()
    assert first_owner.status == "active"  # the dry run voided nothing
    import_batch_run_now(batch_id=batch.pk)

    first_owner.refresh_from_db()
    assert Ownership.objects.current().get(vehicle=car).member.phone == "+886933111222"
    assert first_owner.status == "voided"


def test_owners_every_rejection_reason(setup):
    car = OwnedVehicleFactory(vin=VIN1)
    Ownership.objects.filter(vehicle=car).update(started_at=local_start(date(2026, 1, 1)))
    text = (
        "vin,name,phone,email,birthday,owner_since\n"
        f"{VIN1},A,12345,,,\n"  # 2
        f"{VIN1},A,0912345678,not-mail,,\n"  # 3
        f"{VIN1},A,0912345678,,1980/02/30,\n"  # 4
        f"{VIN2},A,0912345678,,,\n"  # 5: no such vehicle
        f"{VIN1},A,0912345678,,,2025-12-31\n"  # 6: before the current ownership
        f"{VIN1},A,0912345678,,,{FUTURE}\n"  # 7
        f"BADVIN,A,0912345678,,,\n"  # 8
    )

    batch = run("owners", text)

    assert reasons(batch) == {
        2: "invalid_phone",
        3: "invalid_email",
        4: "malformed_date",
        5: "vehicle_not_found",
        6: "ownership_date_invalid",
        7: "date_in_future",
        8: "invalid_vin",
    }
    assert Ownership.objects.filter(vehicle=car).count() == 1


# --- visits ---------------------------------------------------------------------------------------


def test_visits_import_from_xlsx_updates_the_vehicle_and_changes_nothing_again(setup):
    from openpyxl import Workbook

    car = VehicleFactory(vin=VIN1)
    book = Workbook()
    book.active.append(["車身號碼", "經銷商", "進廠日", "里程", "工單號碼", "類別"])
    book.active.append([VIN1, "TPE01", "115/03/01", 15000, "RO-1", "保養"])
    book.active.append([VIN1, "TPE01", "1150401", "16,000", "RO-2", "鈑噴"])
    data = io.BytesIO()
    book.save(data)

    def import_xlsx():
        data.seek(0)
        batch = import_batch_submit(kind="visits", stream=data, file_name="ro.xlsx", check_now=True)
        return import_batch_run_now(batch_id=batch.pk)

    first, second = import_xlsx(), import_xlsx()

    car.refresh_from_db()
    assert (first.rows_applied, second.rows_unchanged) == (2, 2)
    assert list(Visit.objects.values_list("repair_order", "kind", "mileage_km", "source")) == [
        ("RO-1", "maintenance", 15000, "import"),
        ("RO-2", "bodywork", 16000, "import"),
    ]
    assert (car.last_visit_at, car.last_mileage_km) == (local_start(date(2026, 4, 1)), 16000)
    assert MileageReading.objects.filter(vehicle=car).count() == 2


def test_visits_dealer_from_the_command_line_and_every_rejection_reason(setup):
    VehicleFactory(vin=VIN1)
    other = VehicleFactory(vin=VIN2)
    Visit.objects.create(
        vehicle=other,
        dealer=setup["dealer"],
        visited_on=date(2026, 1, 1),
        repair_order="TAKEN",
        source="admin",
    )
    text = (
        "vin,date,mileage_km,repair_order,kind,odometer_replaced\n"
        f"{VIN1},2026-02-01,20000,RO-1,repair,\n"  # 2: fine
        f"{VIN1},2026-03-01,19000,RO-2,repair,\n"  # 3: below the last reading
        f"{VIN1},2026-03-02,100,RO-3,repair,Y\n"  # 4: fine, odometer replaced
        f"{VIN1},{FUTURE},100,RO-4,repair,\n"  # 5
        f"{VIN1},2026-03-03,,TAKEN,repair,\n"  # 6: another vehicle's repair order
        f"{VIN1},2026-03-03,,,repair,\n"  # 7: no repair order
        f"{VIN1},,,RO-7,repair,\n"  # 8: no date
        f"{VIN1},2026-03-03,,RO-8,tuning,\n"  # 9
        f"{VIN3},2026-03-03,,RO-9,repair,\n"  # 10: unknown vehicle
        f"{VIN1},2026-03-03,lots,RO-10,repair,\n"  # 11
    )

    batch = run("visits", text, dealer_code="tpe01")

    assert reasons(batch) == {
        3: "mileage_below_last",
        5: "date_in_future",
        6: "repair_order_taken",
        7: "missing_value",
        8: "missing_value",
        9: "unknown_kind",
        10: "vehicle_not_found",
        11: "malformed_number",
    }
    assert sorted(Visit.objects.filter(vehicle__vin=VIN1).values_list("repair_order", flat=True)) == [
        "RO-1",
        "RO-3",
    ]


def test_visits_without_a_dealer_are_rejected(setup):
    VehicleFactory(vin=VIN1)

    batch = run(
        "visits", f"vin,dealer,date,repair_order\n{VIN1},,2026-02-01,RO-1\n{VIN1},XX,2026-02-01,RO-2\n"
    )

    assert reasons(batch) == {2: "unknown_dealer", 3: "unknown_dealer"}


# --- the command ----------------------------------------------------------------------------------


def test_import_dms_command_dry_run_then_import(setup, tmp_path):
    path = tmp_path / "vehicles.csv"
    path.write_text(VEHICLES + "BAD,ABC-1,RAV4,,,\n", encoding="cp950")
    out = io.StringIO()

    call_command("import_dms", str(path), "--kind", "vehicles", "--dry-run", stdout=out)
    assert "to import 2, rejected 1" in out.getvalue()
    assert "row 4: invalid_vin" in out.getvalue()
    assert not Vehicle.objects.exists()

    out = io.StringIO()
    call_command("import_dms", str(path), "--kind", "vehicles", stdout=out)
    assert "imported 2, unchanged 0, rejected 1" in out.getvalue()
    assert Vehicle.objects.count() == 2


def test_import_dms_command_with_a_mapping_and_dealer(setup, tmp_path):
    VehicleFactory(vin=VIN1)
    path = tmp_path / "ro.csv"
    path.write_text(f"Chassis,In,RO\n{VIN1},2026-02-01,A1\n")
    mapping = tmp_path / "map.json"
    mapping.write_text('{"Chassis": "vin", "In": "date", "RO": "repair_order"}')

    call_command(
        "import_dms",
        str(path),
        "--kind",
        "visits",
        "--dealer",
        "TPE01",
        "--mapping",
        str(mapping),
        stdout=io.StringIO(),
    )

    assert Visit.objects.get().dealer == setup["dealer"]


def test_import_dms_command_whole_file_errors(setup, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("vin\n")
    with pytest.raises(CommandError, match="plate, model"):
        call_command("import_dms", str(path), "--kind", "vehicles", stdout=io.StringIO())
    with pytest.raises(CommandError, match="NOPE"):
        call_command("import_dms", str(path), "--kind", "visits", "--dealer", "NOPE", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_dms", str(tmp_path / "missing.csv"), "--kind", "visits", stdout=io.StringIO())
