"""Reading DMS / CRM exports: ROC and Gregorian dates, encodings, XLSX, headers and mappings."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from vehicles.imports.files import ImportFileError, MappingUnreadable, MissingColumns, file_rows, mapping_read
from vehicles.imports.values import (
    InvalidDate,
    InvalidKind,
    InvalidNumber,
    date_parse,
    flag_parse,
    int_parse,
    kind_parse,
    year_parse,
)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-12-06",
        "2026/12/06",
        "2026.12.6",
        "115/12/06",
        "115-12-06",
        "1151206",
        "20261206",
        "２０２６／１２／０６",
        "2026/12/06 00:00:00",
        datetime(2026, 12, 6, 8, 0),
        date(2026, 12, 6),
    ],
)
def test_every_date_spelling_of_6_december_2026(raw):
    assert date_parse(raw) == date(2026, 12, 6)


def test_two_digit_roc_years_and_empty_cells():
    assert date_parse("99/01/31") == date(2010, 1, 31)
    assert date_parse("990131") == date(2010, 1, 31)
    assert date_parse("") is None
    assert date_parse(None) is None


@pytest.mark.parametrize("raw", ["2026-13-01", "115/02/30", "yesterday", "12/06", "1234", "2026-12-06x"])
def test_malformed_dates_are_refused(raw):
    with pytest.raises(InvalidDate):
        date_parse(raw)


def test_numbers_years_kinds_and_flags():
    assert int_parse("15,000") == 15000
    assert int_parse(15000.0) == 15000
    assert int_parse("") is None
    with pytest.raises(InvalidNumber):
        int_parse("-5")
    with pytest.raises(InvalidNumber):
        int_parse("12km")
    assert year_parse("114") == 2025
    assert year_parse(2025) == 2025
    with pytest.raises(InvalidNumber):
        year_parse("3000")
    assert kind_parse("保養") == "maintenance"
    assert kind_parse("Bodywork") == "bodywork"
    assert kind_parse("") == "other"
    with pytest.raises(InvalidKind):
        kind_parse("tuning")
    assert flag_parse("是") and flag_parse("Y") and not flag_parse("")


# --- files ----------------------------------------------------------------------------------------

CSV_ZH = "車身號碼,車牌,車型,年份,交車日,經銷商\n1HGCM82633A004352,ABC-1234,小型車,114,115/01/05,D001\n"


def rows_of(data: bytes, kind="vehicles", mapping=None):
    return list(file_rows(io.BytesIO(data), kind=kind, mapping=mapping))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950"])
def test_csv_in_utf8_bom_and_big5_reads_the_same(encoding):
    rows = rows_of(CSV_ZH.encode(encoding))

    assert rows == [
        (
            2,
            {
                "vin": "1HGCM82633A004352",
                "plate": "ABC-1234",
                "model": "小型車",
                "model_year": "114",
                "delivery_date": "115/01/05",
                "dealer": "D001",
            },
        )
    ]


def test_english_headers_in_any_case_and_blank_lines_skipped():
    data = b"VIN, Plate ,MODEL,extra\n1HGCM82633A004352,ABC-1234,M1,x\n,,,\n"

    assert rows_of(data) == [(2, {"vin": "1HGCM82633A004352", "plate": "ABC-1234", "model": "M1"})]


def test_xlsx_rows_with_real_dates():
    book = Workbook()
    sheet = book.active
    sheet.append(["車身號碼", "經銷商", "進廠日", "里程", "工單號碼", "類別"])
    sheet.append(["1HGCM82633A004352", "D001", datetime(2026, 3, 1), 15000, "RO-1", "保養"])
    buffer = io.BytesIO()
    book.save(buffer)

    rows = rows_of(buffer.getvalue(), kind="visits")

    assert rows == [
        (
            2,
            {
                "vin": "1HGCM82633A004352",
                "dealer": "D001",
                "date": "2026-03-01",
                "mileage_km": 15000,
                "repair_order": "RO-1",
                "kind": "保養",
            },
        )
    ]


def test_a_mapping_renames_other_headers():
    mapping = mapping_read(b'{"Chassis No": "vin", "Reg": "plate", "Type": "model"}')
    data = b"Chassis No,Reg,Type\n1HGCM82633A004352,ABC-1234,M1\n"

    assert rows_of(data, mapping=mapping)[0][1] == {
        "vin": "1HGCM82633A004352",
        "plate": "ABC-1234",
        "model": "M1",
    }
    assert mapping_read("車架號,vin\n".encode("cp950")) == {"車架號": "vin"}


def test_an_unreadable_mapping_is_one_clear_error():
    with pytest.raises(MappingUnreadable):
        mapping_read(b"[1, 2]")


def test_missing_columns_are_named_for_the_whole_file():
    with pytest.raises(MissingColumns) as refused:
        rows_of(b"vin,plate\n1HGCM82633A004352,ABC-1234\n")

    assert "model" in refused.value.message


def test_an_empty_file_misses_every_column():
    with pytest.raises(MissingColumns):
        rows_of(b"")


@pytest.mark.parametrize("data", ["vin,plate,model\n".encode("utf-16"), b"\xff\xfe\x00\x81\x00" * 10])
def test_a_file_in_an_unknown_encoding_is_one_clear_error(data):
    with pytest.raises(ImportFileError):
        rows_of(data)


def test_a_broken_xlsx_is_one_clear_error():
    with pytest.raises(ImportFileError):
        rows_of(b"PK\x03\x04not really a zip")
