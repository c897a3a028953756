"""Text that leaves the system as CSV: safe to open in a spreadsheet."""


def spreadsheet_safe(value: str) -> str:
    """A leading = + - @ (or tab, carriage return) would make a spreadsheet run the cell as a formula
    (CSV injection), so such a value is prefixed with an apostrophe, which spreadsheets hide."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
