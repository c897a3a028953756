"""`config.prepared.PreparedSelect`: the ORM's own statement, compiled once, run with new values,
giving what the ORM gives (rows, related rows, annotations, converted values) on both databases."""

import pytest
from django.core.exceptions import MultipleObjectsReturned
from django.db import connection, transaction
from django.db.models import BooleanField, F
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from config.prepared import PreparedSelect
from tests.concurrency import together
from tests.factories import DefinitionFactory, OwnedVehicleFactory, VehicleFactory, issue_voucher
from vehicles.models import Vehicle
from vouchers.locks import correlated, outer_column
from vouchers.models import Voucher

pytestmark = pytest.mark.django_db


def _fields(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _by_code(**kwargs):
    return PreparedSelect(
        lambda code: Voucher.objects.select_related("definition", "vehicle__model", "member").filter(
            code=code
        ),
        code=str,
        **kwargs,
    )


def test_it_gives_what_the_orm_gives_with_related_rows_and_each_call_its_own_values():
    vouchers = [issue_voucher(DefinitionFactory(), vehicle=OwnedVehicleFactory()) for _n in range(3)]
    prepared = _by_code()
    for voucher in vouchers:  # compiled at the first call, reused after it
        got = prepared.get(code=voucher.code)
        orm = Voucher.objects.select_related("definition", "vehicle__model", "member").get(code=voucher.code)
        assert _fields(got) == _fields(orm)
        # select_related rows come with it, read by no further query
        with CaptureQueriesContext(connection) as queries:
            related = (got.definition, got.vehicle, got.vehicle.model, got.member)
        assert len(queries) == 0
        assert [_fields(r) if r else None for r in related] == [
            _fields(r) if r else None for r in (orm.definition, orm.vehicle, orm.vehicle.model, orm.member)
        ]
        assert got.valid_until == orm.valid_until and got.valid_until.tzinfo is not None  # converted
        assert got._state.adding is False and got._state.db == "default"
    from config.compiled_query import _cache

    assert _cache[prepared] is not None  # an exact text lookup binds: kept, not compiled per call


def test_its_statement_is_the_orms_and_it_is_sent_once_per_call():
    voucher = issue_voucher(DefinitionFactory(), vehicle=VehicleFactory())
    prepared = PreparedSelect(lambda pk: Vehicle.objects.filter(pk=pk), kind="first", pk=int)
    with CaptureQueriesContext(connection) as orm:
        Vehicle.objects.filter(pk=voucher.vehicle_id).first()
    with CaptureQueriesContext(connection) as ours:
        prepared.get(pk=voucher.vehicle_id)
        prepared.get(pk=voucher.vehicle_id)
    assert [q["sql"] for q in ours.captured_queries] == [orm.captured_queries[0]["sql"]] * 2


def test_get_first_and_all_answer_as_the_queryset_methods_do():
    one, two = VehicleFactory(colour="white"), VehicleFactory(colour="white")
    by_colour = {
        kind: PreparedSelect(lambda colour: Vehicle.objects.filter(colour=colour), kind=kind, colour=str)
        for kind in ("get", "first", "all")
    }
    assert [v.pk for v in by_colour["all"].get(colour="white")] == sorted([one.pk, two.pk])
    assert by_colour["first"].get(colour="white").pk == min(one.pk, two.pk)
    assert by_colour["first"].get(colour="black") is None
    assert by_colour["all"].get(colour="black") == []
    with pytest.raises(MultipleObjectsReturned):
        by_colour["get"].get(colour="white")
    with pytest.raises(Vehicle.DoesNotExist):
        by_colour["get"].get(colour="black")


def test_annotations_are_set_and_a_value_may_be_none():
    voucher = issue_voucher(DefinitionFactory(), vehicle=VehicleFactory())
    Voucher.objects.filter(pk=voucher.pk).update(external_ref="ref-1")

    def build(pk, ref):
        return Vehicle.objects.filter(pk=pk).annotate(
            has_ref=correlated(
                Voucher,
                select="1",
                where={"external_ref": ref},
                outer={"vehicle": outer_column(Vehicle, "id")},
                output_field=BooleanField(),
            )
        )

    prepared = PreparedSelect(build, pk=int, ref=str)
    assert prepared.get(pk=voucher.vehicle_id, ref="ref-1").has_ref is True
    assert prepared.get(pk=voucher.vehicle_id, ref="ref-2").has_ref is False
    assert prepared.get(pk=voucher.vehicle_id, ref=None).has_ref is False


def test_a_value_the_orm_rewrites_is_compiled_every_time_and_still_answers_right():
    from config.compiled_query import _cache

    a, b = VehicleFactory(plate="ABC-1234"), VehicleFactory(plate="XYZ-5678")
    contains = PreparedSelect(
        lambda plate: Vehicle.objects.filter(plate__contains=plate), kind="all", plate=str
    )
    assert contains.get(plate="ABC") == [a]
    assert contains.get(plate="5678") == [b]
    assert _cache[contains] is None  # "%ABC%" is no value the call passed: nothing is kept
    with pytest.raises(TypeError):
        PreparedSelect(lambda when: Vehicle.objects.all(), when=float)


def test_a_lookup_that_escapes_some_texts_only_is_compiled_every_time():
    """iexact on SQLite escapes % and _ in a LIKE: a first text without them must not fix the SQL's
    parameter as the bare text, or a later "A_B" would match "AXB"."""
    from members.models import Dealer
    from tests.factories import DealerFactory

    DealerFactory(code="AB1"), DealerFactory(code="AXB")
    by_code = PreparedSelect(lambda code: Dealer.objects.filter(code__iexact=code), kind="all", code=str)
    assert [d.code for d in by_code.get(code="ab1")] == ["AB1"]
    assert by_code.get(code="a_b") == []
    assert [d.code for d in by_code.get(code="axb")] == ["AXB"]


def test_it_asks_for_exactly_its_values():
    prepared = PreparedSelect(lambda pk: Vehicle.objects.filter(pk=pk), pk=int)
    with pytest.raises(TypeError, match="expected values"):
        prepared.get(id=1)


@pytest.mark.django_db(transaction=True)
def test_a_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it():
    vehicle = VehicleFactory()
    locking = PreparedSelect(
        lambda pk: Vehicle.objects.select_for_update(no_key=True, of=("self",)).filter(pk=pk), pk=int
    )
    with transaction.atomic():
        assert locking.get(pk=vehicle.pk) == vehicle
    if connection.features.has_select_for_update:
        with pytest.raises(TransactionManagementError):
            locking.get(pk=vehicle.pk)


@pytest.mark.django_db(transaction=True)
def test_a_statement_prepared_in_one_thread_runs_on_another_threads_connection():
    vehicles = [VehicleFactory() for _n in range(4)]
    prepared = PreparedSelect(lambda pk: Vehicle.objects.select_related("model").filter(pk=pk), pk=int)
    prepared.get(pk=vehicles[0].pk)
    codes = together(len(vehicles), lambda i: prepared.get(pk=vehicles[i].pk).model.code)
    assert codes == [v.model.code for v in vehicles]


def test_after_the_first_call_instances_are_made_from_the_rows_without_a_queryset(monkeypatch):
    """config.compiled_query.stored_instances: the rows become the instances Django's iterator
    makes (deferred columns, related rows, annotations), with no queryset iterated."""
    from django.db.models.query import ModelIterable

    vouchers = [issue_voucher(DefinitionFactory(), vehicle=OwnedVehicleFactory()) for _n in range(3)]

    def build(code):
        return (
            Voucher.objects.select_related("definition", "vehicle__model")
            .only("code", "status", "valid_until", "definition__name", "vehicle__vin", "vehicle__model__code")
            .annotate(twice=F("uses_total") * 2)
            .filter(code=code)
        )

    prepared = PreparedSelect(build, code=str)
    prepared.get(code=vouchers[0].code)  # compiles and stores
    monkeypatch.setattr(ModelIterable, "__iter__", lambda self: pytest.fail("iterated a queryset"))
    for voucher in vouchers:
        with CaptureQueriesContext(connection) as queries:
            got = prepared.get(code=voucher.code)
            loaded = (got.code, got.status, got.valid_until, got.twice, got.definition.name)
            related = (got.vehicle.vin, got.vehicle.model.code)
        assert len(queries) == 1
        assert loaded == (
            voucher.code,
            voucher.status,
            voucher.valid_until,
            voucher.uses_total * 2,
            voucher.definition.name,
        )
        assert related == (voucher.vehicle.vin, voucher.vehicle.model.code)
        assert got.get_deferred_fields() >= {"uses_left", "issued_at"}
        monkeypatch.undo()
        with CaptureQueriesContext(connection) as queries:
            assert got.uses_left == voucher.uses_left  # a deferred column loads as the ORM loads it
        assert len(queries) == 1
        monkeypatch.setattr(ModelIterable, "__iter__", lambda self: pytest.fail("iterated a queryset"))
    with pytest.raises(Voucher.DoesNotExist):
        prepared.get(code="NO-SUCH-CODE")


def test_a_query_that_is_not_of_instances_is_iterated_as_a_queryset():
    vehicle = VehicleFactory()
    vins = PreparedSelect(lambda pk: Vehicle.objects.filter(pk=pk).values_list("vin", flat=True), pk=int)
    assert vins.get(pk=vehicle.pk) == vehicle.vin
    assert vins.get(pk=vehicle.pk) == vehicle.vin  # stored; still the queryset's values
