"""Reading an exported file row by row: CSV (UTF-8, UTF-8 with BOM, Big5/CP950) or XLSX.

A whole-file problem (an encoding we cannot read, missing columns) is one ImportFileError with a
clear message; rows are streamed, so memory stays bounded however long the file is.
"""

import codecs
import csv
import io
import json
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

# Big5 as Windows writes it is cp950; big5hkscs covers the Hong Kong supplement some exports use.
ENCODINGS = ("utf-8-sig", "cp950", "big5hkscs")
_SAMPLE = 1 << 16


class ImportFileError(DomainError):
    code = "import_file_unreadable"
    default_message = _("The file could not be read. Save it as CSV in UTF-8 or Big5, or as XLSX.")
    http_status = 400


class MissingColumns(ImportFileError):
    code = "import_missing_columns"
    default_message = _("The file has no column for: %(columns)s.")


class MappingUnreadable(ImportFileError):
    code = "import_mapping_unreadable"
    default_message = _(
        'The mapping file could not be read: give a JSON object {"their header": "our header"} '
        "or a CSV of two columns."
    )


@dataclass(frozen=True)
class Columns:
    required: tuple[str, ...]
    optional: tuple[str, ...]
    chinese: dict[str, str]  # Chinese default header -> our field


COLUMNS = {
    "vehicles": Columns(
        required=("vin", "plate", "model"),
        optional=("model_year", "delivery_date", "dealer"),
        chinese={
            "車身號碼": "vin",
            "車牌": "plate",
            "車型": "model",
            "年份": "model_year",
            "交車日": "delivery_date",
            "經銷商": "dealer",
        },
    ),
    "owners": Columns(
        required=("phone",),
        optional=("vin", "name", "email", "birthday", "owner_since"),
        chinese={
            "車身號碼": "vin",
            "姓名": "name",
            "手機": "phone",
            "電子郵件": "email",
            "生日": "birthday",
            "過戶日": "owner_since",
        },
    ),
    "visits": Columns(
        required=("vin", "date", "repair_order"),
        optional=("dealer", "mileage_km", "kind", "odometer_replaced"),
        chinese={
            "車身號碼": "vin",
            "經銷商": "dealer",
            "進廠日": "date",
            "里程": "mileage_km",
            "工單號碼": "repair_order",
            "類別": "kind",
            "換錶": "odometer_replaced",
        },
    ),
}


def _header(value: object) -> str:
    return unicodedata.normalize("NFKC", str(value or "")).strip().lower().replace(" ", "_")


def mapping_read(data: bytes) -> dict[str, str]:
    """{their header: our header} from JSON or a two-column CSV (UTF-8 or Big5)."""
    text = _decode_all(data, MappingUnreadable)
    try:
        loaded = json.loads(text)
    except ValueError:
        loaded = {row[0]: row[1] for row in csv.reader(io.StringIO(text)) if len(row) >= 2 and row[0].strip()}
    if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
        raise MappingUnreadable()
    return {_header(k): _header(v) for k, v in loaded.items()}


def _decode_all(data: bytes, error) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise error()


def header_fields(kind: str, headers: list, mapping: dict[str, str] | None = None) -> list[str | None]:
    """Our field for each column of the file (None: a column we do not read). Raises MissingColumns."""
    columns = COLUMNS[kind]
    known = set(columns.required) | set(columns.optional)
    mapping = mapping or {}
    fields: list[str | None] = []
    for raw in headers:
        name = _header(raw)
        name = mapping.get(name, name)
        name = columns.chinese.get(name, name)
        fields.append(name if name in known and name not in fields else None)
    missing = [name for name in columns.required if name not in fields]
    if missing:
        raise MissingColumns(columns=", ".join(missing))
    return fields


def _encoding_of(stream: BinaryIO) -> str:
    """The first encoding that decodes the whole stream (read in blocks, never all at once)."""
    for encoding in ENCODINGS:
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while block := stream.read(_SAMPLE):
                if "\x00" in decoder.decode(block):
                    raise UnicodeDecodeError(encoding, b"", 0, 1, "NUL")  # UTF-16 or binary
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    raise ImportFileError()


def is_xlsx(stream: BinaryIO) -> bool:
    stream.seek(0)
    magic = stream.read(4)
    stream.seek(0)
    return magic == b"PK\x03\x04"


def _csv_rows(stream: BinaryIO) -> Iterator[list]:
    encoding = _encoding_of(stream)
    wrapper = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        yield from csv.reader(wrapper)
    except csv.Error as exc:
        raise ImportFileError() from exc
    finally:
        wrapper.detach()


def _xlsx_rows(stream: BinaryIO) -> Iterator[list]:
    from openpyxl import load_workbook  # only when an XLSX arrives

    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportFileError() from exc
    try:
        for row in workbook.worksheets[0].iter_rows(values_only=True):
            yield list(row)
    finally:
        workbook.close()


def file_rows(
    stream: BinaryIO, *, kind: str, mapping: dict[str, str] | None = None
) -> Iterator[tuple[int, dict]]:
    """(row number, {field: cell}) of each non-empty data row; the first row holds the headers.

    Raises ImportFileError or MissingColumns before the first row is yielded.
    """
    rows = _xlsx_rows(stream) if is_xlsx(stream) else _csv_rows(stream)
    try:
        headers = next(rows)
        fields = header_fields(kind, headers, mapping)
    except StopIteration:
        rows.close()
        raise MissingColumns(columns=", ".join(COLUMNS[kind].required)) from None
    except ImportFileError:
        rows.close()
        raise
    return _data_rows(rows, fields)


def _data_rows(rows: Iterator[list], fields: list[str | None]) -> Iterator[tuple[int, dict]]:
    for number, cells in enumerate(rows, start=2):
        values = {field: _cell(cell) for field, cell in zip(fields, cells, strict=False) if field is not None}
        if any(v not in ("", None) for v in values.values()):
            yield number, values


def _cell(value: object):
    """JSON-storable: dates as ISO text, numbers as they are, text trimmed."""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()[:200]
    return value
