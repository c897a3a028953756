"""CSV and XLSX of a report: the page's columns and rows, the same numbers unformatted.

Text cells go through `spreadsheet_safe` (a leading = + - @ would run as a formula); numbers stay
numbers. The CSV starts with a UTF-8 byte-order mark so spreadsheet programs read the Chinese labels.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from config.spreadsheet import spreadsheet_safe

from .registry import Column, ReportResult


def _value(column: Column, value):
    if value is None:
        return ""
    if column.numeric:
        return value
    return spreadsheet_safe(str(value))


def report_csv(result: ReportResult) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_safe(str(c.label)) for c in result.columns])
    for row in result.rows:
        writer.writerow([_value(c, row.get(c.key)) for c in result.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(result: ReportResult, *, sheet_title: str) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([spreadsheet_safe(str(c.label)) for c in result.columns])
    for row in result.rows:
        sheet.append([_value(c, row.get(c.key)) for c in result.columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
