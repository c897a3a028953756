"""`definitions_load_restrictions`: the allowed models and dealers of many definitions in one query,
exactly what `prefetch_related` gives, so list pages stay at a constant number of queries."""

import pytest

from tests.factories import (
    DealerFactory,
    DefinitionFactory,
    VehicleFactory,
    VehicleModelFactory,
    issue_voucher,
)
from vouchers.models import Voucher
from vouchers.selectors import definitions_load_restrictions

pytestmark = pytest.mark.django_db


def _lists(definition) -> tuple[list, list]:
    return (
        [
            (m.pk, m.code, m.name, m.service_interval_km, m.service_interval_months)
            for m in definition.allowed_models.all()
        ],
        [
            (d.pk, d.code, d.name, d.city, d.address, d.phone, d.is_active)
            for d in definition.allowed_dealers.all()
        ],
    )


def test_every_definition_gets_what_prefetch_related_gives_in_one_query(django_assert_num_queries):
    models = [VehicleModelFactory(name=name) for name in ("X5", "i4", "iX", "A3")]
    dealers = [DealerFactory(code=code, is_active=code != "B2") for code in ("C3", "A1", "B2")]
    both = DefinitionFactory()
    both.allowed_models.add(*models[:3])
    both.allowed_dealers.add(*dealers)
    only_models = DefinitionFactory()
    only_models.allowed_models.add(models[3], models[0])
    only_dealers = DefinitionFactory()
    only_dealers.allowed_dealers.add(dealers[1])
    unrestricted = DefinitionFactory()
    car = VehicleFactory()
    for definition in (both, both, only_models, only_dealers, unrestricted):
        issue_voucher(definition, vehicle=car)

    expected = {
        v.pk: _lists(v.definition)
        for v in Voucher.objects.select_related("definition").prefetch_related(
            "definition__allowed_models", "definition__allowed_dealers"
        )
    }
    vouchers = list(Voucher.objects.select_related("definition"))
    with django_assert_num_queries(1):
        definitions_load_restrictions(v.definition for v in vouchers)
    with django_assert_num_queries(0):
        loaded = {v.pk: _lists(v.definition) for v in vouchers}
    assert loaded == expected
    assert sum(len(m) + len(d) for m, d in loaded.values()) == 3 + 3 + 3 + 3 + 2 + 1


def test_nothing_to_load_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        definitions_load_restrictions([])


def test_the_query_is_built_once_per_number_of_definitions(monkeypatch):
    """Compiled once per number of definitions (`config.compiled_query`); a later call with other
    definitions of the same number gets its own lists."""
    from config.compiled_query import compiled_queries_clear
    from vouchers import selectors

    builds = []
    real = selectors._restrictions_query
    monkeypatch.setattr(selectors, "_restrictions_query", lambda **ids: builds.append(ids) or real(**ids))
    compiled_queries_clear()
    first, second = DefinitionFactory(), DefinitionFactory()
    first.allowed_models.add(VehicleModelFactory(name="X5"))
    second.allowed_dealers.add(DealerFactory(code="A1"))
    expected = {}
    for definition in (first, second):
        fresh = type(definition).objects.get(pk=definition.pk)
        expected[definition.pk] = (
            [m.pk for m in fresh.allowed_models.all()],
            [d.pk for d in fresh.allowed_dealers.all()],
        )
    try:
        definitions_load_restrictions([first])
        built = len(builds)
        definitions_load_restrictions([second])
        assert len(builds) == built  # not built again for one definition
    finally:
        compiled_queries_clear()
    for definition in (first, second):
        lists = _lists(definition)
        assert ([m[0] for m in lists[0]], [d[0] for d in lists[1]]) == expected[definition.pk]
