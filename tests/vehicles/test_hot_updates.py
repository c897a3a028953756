"""What a redemption writes on its car (the reading, the last visit) is in no index of the vehicle
table, so PostgreSQL updates the row in place (a HOT update) instead of writing a new entry in every
one of the table's indexes per redemption."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from redemption.services import redemption_redeem
from tests.factories import DealerStaffFactory, DefinitionFactory, OwnedVehicleFactory, issue_voucher
from vehicles.models import Vehicle
from vehicles.services import vehicle_record_visit

pytestmark = pytest.mark.django_db
TABLE = Vehicle._meta.db_table


def _indexed_columns() -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    return {column for c in constraints.values() if c["index"] or c["unique"] for column in c["columns"]}


def _columns_updated(queries) -> set[str]:
    """The columns every UPDATE of the vehicle table sets, whether sent alone or inside a WITH."""
    updated = set()
    for query in queries:
        for sets in re.findall(rf'UPDATE "{TABLE}" SET (.+?) WHERE', query["sql"]):
            updated |= set(re.findall(r'"(\w+)" = ', sets))
    return updated


def test_a_redemption_with_a_reading_updates_no_indexed_column_of_its_car():
    vehicle = OwnedVehicleFactory(last_mileage_km=1_000)
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=3), vehicle=vehicle)
    with CaptureQueriesContext(connection) as queries:
        redemption_redeem(
            voucher=voucher,
            vehicle=vehicle,
            dealer=DealerStaffFactory().dealer,
            idempotency_key="hot-1",
            mileage_km=1_500,
        )
    updated = _columns_updated(queries.captured_queries)
    assert {"last_mileage_km", "last_visit_at"} <= updated
    assert updated & _indexed_columns() == set()


def test_recording_a_visit_updates_no_indexed_column_of_the_car():
    vehicle = OwnedVehicleFactory()
    with CaptureQueriesContext(connection) as queries:
        vehicle_record_visit(vehicle=vehicle)
    updated = _columns_updated(queries.captured_queries)
    assert updated == {"last_visit_at"}
    assert updated & _indexed_columns() == set()
