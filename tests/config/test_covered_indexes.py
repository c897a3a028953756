"""The hot paths' tables keep no index that another index already covers, index their nullable keys
only where set, and dropping or narrowing indexes (config/field_indexes.py) kept every index the
invariants and the lookups by key need."""

import pytest
from django.apps import apps
from django.db import connection, transaction

from redemption.models import Redemption
from vehicles.models import MileageReading
from vouchers.models import LedgerEntry, Voucher

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


def _nullable_keys(table: str) -> list[str]:
    (model,) = [m for m in apps.get_models() if m._meta.db_table == table]
    return [f.column for f in model._meta.concrete_fields if f.is_relation and f.null]


@pytest.mark.django_db
@pytest.mark.parametrize("table", HOT_TABLES)
def test_nullable_keys_are_indexed_only_where_set(table):
    """A row whose key is NULL writes no index entry for it, and every key keeps an index for the
    lookups by it (a unique constraint, a composite it leads, or its own partial index)."""
    indexes = _indexes(table)
    wrong = []
    for column in _nullable_keys(table):
        serving = [name for name, index in indexes.items() if index["columns"][:1] == [column]]
        if not serving:
            wrong.append(f"{column} has no index")
        plain_own = [
            name
            for name in serving
            if indexes[name]["columns"] == [column]
            and not indexes[name]["unique"]
            and not _is_partial(table, name)
        ]
        wrong += [f"{name} indexes the NULLs of {column}" for name in plain_own]
    assert wrong == []


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("queryset", "index"),
    [
        (lambda: Redemption.objects.filter(advisor_id=1), "redemption_advisor_set"),
        (lambda: Redemption.objects.filter(api_key_id__in=[1, 2]), "redemption_api_key_set"),
        (lambda: Redemption.objects.filter(reversed_by_id=1), "redemption_reversed_by_set"),
        (lambda: LedgerEntry.objects.filter(actor_id__in=[1, 2]), "ledger_actor_set"),
        (lambda: LedgerEntry.objects.filter(dealer_id=1), "ledger_dealer_set"),
        (lambda: Voucher.objects.filter(order_id=1), "voucher_order_set"),
        (lambda: Voucher.objects.filter(order__isnull=False), "voucher_order_set"),
        (lambda: MileageReading.objects.filter(recorded_by_id__in=[1]), "mileage_recorded_by_set"),
    ],
)
def test_lookups_by_a_nullable_key_use_its_partial_index(queryset, index):
    """What deleting a user or a dealer checks (PROTECT, SET_NULL) and what the reports ask: an
    equality or IN on the key implies it is set, so PostgreSQL may use the index that leaves NULLs out."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset().explain()
    assert index in plan
