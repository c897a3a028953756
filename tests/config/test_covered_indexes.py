"""The hot paths' tables keep no index that another index already covers, and dropping the covered
ones (config/field_indexes.py) kept every index the invariants need."""

import pytest
from django.db import connection

# The tables every redemption, stored answer and bulk issuance writes.
HOT_TABLES = [
    "redemption_redemption",
    "redemption_idempotencyrecord",
    "vehicles_mileagereading",
    "vouchers_voucher",
    "vouchers_ledgerentry",
    "vouchers_issuebatchrow",
]


def _indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {name: c for name, c in constraints.items() if c["index"] or c["unique"]}


def _is_partial(table: str, name: str) -> bool:
    # Introspection does not say whether an index has a WHERE clause; the catalogue does.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexname = %s", [table, name]
            )
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = %s", [name])
        row = cursor.fetchone()
    return bool(row and row[0] and " WHERE " in row[0].upper())


@pytest.mark.django_db
@pytest.mark.parametrize("table", HOT_TABLES)
def test_no_plain_single_column_index_leads_another_index(table):
    indexes = _indexes(table)
    covered = []
    for name, index in indexes.items():
        columns = index["columns"]
        if len(columns) != 1 or index["unique"] or _is_partial(table, name):
            continue  # a unique or partial index says more than "look up by this column"
        for other_name, other in indexes.items():
            leads = other_name != name and len(other["columns"]) > 1 and other["columns"][0] == columns[0]
            if leads and not _is_partial(table, other_name):
                covered.append(f"{name} ({columns[0]}) is covered by {other_name} {other['columns']}")
    assert covered == []


@pytest.mark.django_db
def test_the_invariants_indexes_are_still_there():
    redemption = _indexes("redemption_redemption")
    assert redemption["one_open_hold_per_voucher"]["columns"] == ["voucher_id"]
    assert redemption["one_open_hold_per_voucher"]["unique"]
    assert redemption["redemption_idempotency_per_voucher"]["columns"] == ["voucher_id", "idempotency_key"]
    records = _indexes("redemption_idempotencyrecord")
    assert records["idempotency_key_unique_per_api_key"]["columns"] == ["api_key_id", "key"]
