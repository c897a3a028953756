"""config.compiled_query: a query compiled once answers every later call with that call's values, and
a query whose parameters cannot be told apart is left to Django (compiled every time)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import DateTimeField, F, Value
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.compiled_query import compiled_queries_clear, compiled_queryset
from members.models import Dealer
from tests.factories import DealerFactory, DefinitionFactory, VehicleFactory, issue_voucher

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    compiled_queries_clear()
    yield
    compiled_queries_clear()


class Builds:
    """A build function that counts its calls (each one is a query built and compiled)."""

    def __init__(self, build):
        self.build, self.calls = build, 0

    def __call__(self, **values):
        self.calls += 1
        return self.build(**values)


def _between(low, high):
    return Dealer.objects.filter(pk__gte=low, pk__lte=high).order_by("pk")


def test_later_calls_bind_their_own_values_without_building_again():
    dealers = DealerFactory.create_batch(4)
    ids = [d.pk for d in dealers]
    build = Builds(_between)

    first = list(compiled_queryset("between", build, low=ids[0], high=ids[1]))
    built = build.calls
    second = list(compiled_queryset("between", build, low=ids[1], high=ids[3]))
    third = list(compiled_queryset("between", build, low=ids[2], high=ids[2]))

    assert first == dealers[0:2]
    assert second == dealers[1:4]
    assert third == [dealers[2]]
    assert build.calls == built == 2  # the call's own values, then the shifted ones: never again


def test_equal_values_are_told_apart_by_the_shifted_compile():
    dealers = DealerFactory.create_batch(3)
    same = dealers[1].pk
    build = Builds(_between)

    assert list(compiled_queryset("between", build, low=same, high=same)) == [dealers[1]]
    # Learnt from equal values, each parameter still takes its own value afterwards.
    assert list(compiled_queryset("between", build, low=dealers[0].pk, high=dealers[2].pk)) == dealers
    assert build.calls == 2


def test_results_come_with_annotations_and_related_rows_in_one_query(django_assert_num_queries):
    dealer = DealerFactory(name="Alpha")

    def build(dealer_id):
        return Dealer.objects.filter(pk=dealer_id).annotate(shout=F("name"), one=Value(1))

    compiled_queryset("annotated", build, dealer_id=dealer.pk)
    with django_assert_num_queries(1):
        (row,) = compiled_queryset("annotated", build, dealer_id=dealer.pk)
    assert (row.pk, row.shout, row.one) == (dealer.pk, "Alpha", 1)


def test_a_parameter_derived_from_a_value_makes_the_query_compile_every_time():
    dealers = DealerFactory.create_batch(3)
    build = Builds(lambda low: Dealer.objects.filter(pk__gte=low + 1).order_by("pk"))

    assert list(compiled_queryset("derived", build, low=dealers[0].pk)) == dealers[1:]
    calls = build.calls
    assert list(compiled_queryset("derived", build, low=dealers[1].pk)) == dealers[2:]
    assert build.calls == calls + 1


def test_sql_that_changes_with_the_values_is_compiled_every_time():
    dealers = DealerFactory.create_batch(2)
    build = Builds(lambda n: Dealer.objects.order_by("pk")[:n])

    assert list(compiled_queryset("limit", build, n=1)) == dealers[:1]
    calls = build.calls
    assert list(compiled_queryset("limit", build, n=2)) == dealers
    assert build.calls == calls + 1


def test_a_none_value_is_left_to_django_and_a_datetime_binds():
    now = timezone.now()
    dealer = DealerFactory()

    def build(since):
        return Dealer.objects.filter(pk=dealer.pk).annotate(since=Value(since, output_field=DateTimeField()))

    assert list(compiled_queryset("nothing", build, since=None)) == [dealer]
    (first,) = compiled_queryset("since", build, since=now)
    later = now + timedelta(hours=3)
    with CaptureQueriesContext(connection) as captured:
        (second,) = compiled_queryset("since", build, since=later)
    assert len(captured.captured_queries) == 1
    assert (first.since, second.since) == (now, later)


def test_the_returned_queryset_cannot_be_chained():
    dealer = DealerFactory()
    compiled_queryset("between", _between, low=dealer.pk, high=dealer.pk)
    queryset = compiled_queryset("between", _between, low=dealer.pk, high=dealer.pk)
    with pytest.raises(TypeError):
        queryset.filter(name="x")


def test_an_id_no_column_can_hold_is_left_to_django():
    dealer = DealerFactory()
    compiled_queryset("between", _between, low=dealer.pk, high=dealer.pk)
    huge = 10**30  # a tampered URL: Django answers "no row" where a bound parameter would overflow
    assert list(compiled_queryset("between", _between, low=dealer.pk, high=huge)) == [dealer]
    assert list(compiled_queryset("between", _between, low=huge, high=huge)) == []


def test_row_converters_are_worked_out_once_per_connection(monkeypatch):
    """The converters of the result columns (aware datetimes, decoded JSON, ...) are worked out at
    the first run on a connection and kept; the rows are converted as the ORM converts them."""
    from django.db.models.sql.compiler import SQLCompiler

    from vouchers.models import LedgerEntry

    voucher = issue_voucher(DefinitionFactory(), vehicle=VehicleFactory())
    worked_out = []
    original = SQLCompiler.get_converters

    def counting(self, expressions):
        worked_out.append(len(expressions))
        return original(self, expressions)

    monkeypatch.setattr(SQLCompiler, "get_converters", counting)

    def entries(voucher_id):
        return LedgerEntry.objects.filter(voucher_id=voucher_id).order_by("pk")

    runs = [list(compiled_queryset("ledger", entries, voucher_id=voucher.pk)) for _ in range(3)]
    compiled_runs = len(worked_out)
    runs += [list(compiled_queryset("ledger", entries, voucher_id=voucher.pk)) for _ in range(3)]
    assert len(worked_out) == compiled_runs  # none for the later runs on this connection
    expected = list(entries(voucher.pk))
    for rows in runs:
        assert [(e.pk, e.created_at, e.data, e.kind) for e in rows] == [
            (e.pk, e.created_at, e.data, e.kind) for e in expected
        ]
    assert runs[0][0].created_at.tzinfo is not None


def test_a_connection_that_is_gone_leaves_no_converters_behind():
    """Converters are kept per connection object: a connection that is dropped (a thread that
    ended) takes its entry with it, so connections that come and go do not grow the cache."""
    import gc
    from types import SimpleNamespace

    from config import compiled_query

    DealerFactory()
    list(compiled_queryset("dealers", lambda low: Dealer.objects.filter(pk__gte=low), low=1))
    compiled = compiled_query._cache["dealers"]
    assert len(compiled.converters) == 1  # this thread's connection

    class Connection:  # another thread's connection, as far as the cache can tell
        pass

    worked_out = []
    other = SimpleNamespace(connection=Connection(), get_converters=lambda e: worked_out.append(e) or {})
    get_converters = compiled_query._kept_converters(compiled, other)
    columns = [object()]
    get_converters(columns)
    get_converters(columns)
    assert len(worked_out) == 1 and len(compiled.converters) == 2
    del other, get_converters
    gc.collect()
    assert len(compiled.converters) == 1


def test_a_run_leaves_the_stored_template_as_it_was():
    """Each run iterates a copy sharing the template's parts; none of them is changed by a run."""
    from config.compiled_query import _cache

    dealers = DealerFactory.create_batch(3)
    ids = [d.pk for d in dealers]
    list(compiled_queryset("kept", _between, low=ids[0], high=ids[2]))
    template = _cache["kept"].template
    query_state, queryset_state = dict(vars(template.query)), dict(vars(template))
    where = str(template.query.where)
    for low, high in ((ids[1], ids[2]), (ids[0], ids[0])):
        run = compiled_queryset("kept", _between, low=low, high=high)
        assert [d.pk for d in run] == [i for i in ids if low <= i <= high]
        assert run.query is not template.query and run is not template
    assert vars(template.query) == query_state and vars(template) == queryset_state
    assert "get_compiler" not in vars(template.query) and str(template.query.where) == where
    assert template._result_cache is None
