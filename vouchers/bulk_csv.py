"""Reading a whitelist file: UTF-8 with or without BOM, or Big5 (cp950) from older dealer systems.

Pure functions; the bulk-issuance service decides what each value means.
"""

import csv
import io

from django.utils.translation import gettext_lazy as _

from config.errors import DomainError

# Big5 as Windows writes it is cp950 (Big5 plus Microsoft's extensions); big5hkscs covers the
# Hong Kong supplement some DMS exports use.
ENCODINGS = ("utf-8-sig", "cp950", "big5hkscs")


class WhitelistUnreadable(DomainError):
    code = "whitelist_unreadable"
    default_message = _("The file could not be read. Save it as CSV in UTF-8 or Big5 and try again.")
    http_status = 400


class WhitelistTooLarge(DomainError):
    code = "whitelist_too_large"
    default_message = _("The file has more than %(maximum)s rows; split it into several files.")
    http_status = 400


def whitelist_decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # UTF-16 or a binary file decoded by accident
        return text
    raise WhitelistUnreadable()


def whitelist_values(text: str, *, max_rows: int) -> list[tuple[int, str]]:
    """(line number, first cell) of each non-empty line; a first line with no digit is a header.

    Every identifier we accept (plate, VIN, phone) contains a digit, so a digit-free first line
    ("車牌", "plate", "VIN") is a column heading, not data.
    """
    rows: list[tuple[int, str]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        for line_number, cells in enumerate(reader, start=1):
            value = next((cell.strip() for cell in cells if cell.strip()), "")
            if not value:
                continue
            if line_number == 1 and not any(c.isdigit() for c in value):
                continue
            rows.append((line_number, value[:200]))
            if len(rows) > max_rows:
                raise WhitelistTooLarge(maximum=max_rows)
    except csv.Error as exc:
        raise WhitelistUnreadable() from exc
    return rows
