"""`config.prepared.read_together`: several prepared reads in one statement on PostgreSQL, each
`get` inside the block answering exactly what it answers alone (rows, related rows, None,
DoesNotExist, MultipleObjectsReturned), and reading by itself whatever was not read ahead."""

import pytest
from django.core.exceptions import MultipleObjectsReturned
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config.prepared import PreparedSelect, read_together
from members.models import Dealer
from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    OwnedVehicleFactory,
    VehicleFactory,
    issue_voucher,
)
from vehicles.models import Vehicle
from vouchers.models import Voucher

pytestmark = pytest.mark.django_db
POSTGRES = connection.vendor == "postgresql"

VOUCHER = PreparedSelect(
    lambda code: Voucher.objects.select_related("vehicle__model", "member").filter(code=code), code=str
)
VEHICLE = PreparedSelect(
    lambda vin: Vehicle.objects.select_related("model").filter(vin=vin), kind="first", vin=str
)
DEALER = PreparedSelect(lambda code: Dealer.objects.filter(code=code, is_active=True), kind="first", code=str)
BY_COLOUR = PreparedSelect(lambda colour: Vehicle.objects.filter(colour=colour), colour=str)


def _fields(obj) -> dict | None:
    if obj is None:
        return None
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _reads(voucher_code: str, vin: str, dealer_code: str):
    return (VOUCHER, {"code": voucher_code}), (VEHICLE, {"vin": vin}), (DEALER, {"code": dealer_code})


def test_the_reads_go_in_one_statement_and_answer_what_each_answers_alone():
    voucher = issue_voucher(DefinitionFactory(), vehicle=OwnedVehicleFactory())
    dealer = DealerFactory()
    with (
        CaptureQueriesContext(connection) as queries,
        read_together(*_reads(voucher.code, voucher.vehicle.vin, dealer.code)),
    ):
        got = (
            VOUCHER.get(code=voucher.code),
            VEHICLE.get(vin=voucher.vehicle.vin),
            DEALER.get(code=dealer.code),
        )
        related = (got[0].vehicle, got[0].vehicle.model, got[0].member, got[1].model)
    assert len(queries) == (1 if POSTGRES else 3)
    orm_voucher = Voucher.objects.select_related("vehicle__model", "member").get(code=voucher.code)
    orm_vehicle = Vehicle.objects.select_related("model").get(vin=voucher.vehicle.vin)
    assert [_fields(o) for o in got] == [_fields(orm_voucher), _fields(orm_vehicle), _fields(dealer)]
    assert [_fields(o) for o in related] == [
        _fields(o)
        for o in (orm_voucher.vehicle, orm_voucher.vehicle.model, orm_voucher.member, orm_vehicle.model)
    ]
    assert got[0].valid_until == orm_voucher.valid_until and got[0].valid_until.tzinfo is not None
    assert got[0]._state.adding is False and got[0]._state.db == "default"


def test_no_row_is_none_for_first_and_does_not_exist_for_get():
    vehicle = VehicleFactory()
    with (
        CaptureQueriesContext(connection) as queries,
        read_together(*_reads("ABCDEFGHJKMNPQRS", vehicle.vin, "NOPE")),
    ):
        with pytest.raises(Voucher.DoesNotExist):
            VOUCHER.get(code="ABCDEFGHJKMNPQRS")
        assert DEALER.get(code="NOPE") is None
        found = VEHICLE.get(vin=vehicle.vin)
    assert len(queries) == (1 if POSTGRES else 3)
    assert _fields(found) == _fields(Vehicle.objects.get(pk=vehicle.pk))


def test_a_get_with_other_values_than_declared_reads_them_itself():
    first, second = DealerFactory(), DealerFactory()
    vehicle = VehicleFactory()
    with read_together((DEALER, {"code": first.code}), (VEHICLE, {"vin": vehicle.vin})):
        with CaptureQueriesContext(connection) as queries:
            assert DEALER.get(code=second.code) == second
        assert len(queries) == 1
        with CaptureQueriesContext(connection) as queries:
            assert DEALER.get(code=first.code) == first
            assert DEALER.get(code=first.code) == first  # each read ahead is taken once
        assert len(queries) == (1 if POSTGRES else 2)
    with CaptureQueriesContext(connection) as queries:
        assert VEHICLE.get(vin=vehicle.vin) == vehicle  # after the block: read again
    assert len(queries) == 1


def test_a_read_matching_several_rows_is_read_alone_and_refused_as_get_refuses_it():
    VehicleFactory(colour="Mineral White")
    VehicleFactory(colour="Mineral White")
    dealer = DealerFactory()
    with (
        CaptureQueriesContext(connection) as queries,
        read_together((BY_COLOUR, {"colour": "Mineral White"}), (DEALER, {"code": dealer.code})),
    ):
        with pytest.raises(MultipleObjectsReturned):
            BY_COLOUR.get(colour="Mineral White")
        assert DEALER.get(code=dealer.code) == dealer
    # PostgreSQL: the statement together (two rows: discarded), then each alone
    assert len(queries) == (3 if POSTGRES else 2)


def test_a_locking_read_is_never_read_ahead():
    vehicle = VehicleFactory()
    dealer = DealerFactory()
    locking = PreparedSelect(lambda pk: Vehicle.objects.select_for_update().filter(pk=pk), pk=int)
    with (
        transaction.atomic(),
        CaptureQueriesContext(connection) as queries,
        read_together((locking, {"pk": vehicle.pk}), (DEALER, {"code": dealer.code})),
    ):
        assert locking.get(pk=vehicle.pk) == vehicle
        assert DEALER.get(code=dealer.code) == dealer
    assert len(queries) == 2
    assert "FOR UPDATE" in queries.captured_queries[0]["sql"] or not POSTGRES


def test_a_missing_read_is_left_out_and_one_read_alone_is_not_wrapped():
    dealer = DealerFactory()
    with CaptureQueriesContext(connection) as queries, read_together(None, (DEALER, {"code": dealer.code})):
        assert DEALER.get(code=dealer.code) == dealer
    assert len(queries) == 1
    assert "LATERAL" not in queries.captured_queries[0]["sql"]


def test_a_read_compiled_every_time_is_read_alone_and_answers_right():
    """A lookup the ORM rewrites (contains: "%ABC%") keeps no stored statement to send together."""
    car = VehicleFactory(plate="ABC-1234")
    dealer = DealerFactory()
    plate = PreparedSelect(
        lambda plate: Vehicle.objects.filter(plate__contains=plate), kind="first", plate=str
    )
    with (
        CaptureQueriesContext(connection) as queries,
        read_together((plate, {"plate": "ABC"}), (DEALER, {"code": dealer.code})),
    ):
        assert plate.get(plate="ABC") == car
        assert DEALER.get(code=dealer.code) == dealer
    assert len(queries) == 2
    assert not any("LATERAL" in q["sql"] for q in queries.captured_queries)


def test_a_read_that_gives_no_model_instances_is_read_alone():
    """A `values_list` read is not made into instances from read-ahead rows: it reads itself."""
    vehicle, dealer = VehicleFactory(), DealerFactory()
    vins = PreparedSelect(lambda pk: Vehicle.objects.filter(pk=pk).values_list("vin", flat=True), pk=int)
    vins.get(pk=vehicle.pk), DEALER.get(code=dealer.code)  # stored
    with (
        CaptureQueriesContext(connection) as queries,
        read_together((vins, {"pk": vehicle.pk}), (DEALER, {"code": dealer.code})),
    ):
        assert vins.get(pk=vehicle.pk) == vehicle.vin
        assert DEALER.get(code=dealer.code) == dealer
    assert len(queries) == 2  # each alone: the other part may not go with it
    assert not any("LATERAL" in query["sql"] for query in queries.captured_queries)
