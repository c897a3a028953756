"""Writes queued in `config.one_statement.Writes` land as the ORM would save them: one statement on
PostgreSQL, one by one elsewhere, with the keys set, foreign keys to objects queued before them, and
constraints holding (nothing written when one part fails)."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.one_statement import Writes
from redemption.models import Redemption
from tests.factories import DealerFactory, DefinitionFactory, VehicleFactory, issue_voucher
from vehicles.models import MileageReading, Vehicle
from vouchers.models import LedgerEntry, Voucher

pytestmark = pytest.mark.django_db


def _use(voucher: Voucher, vehicle: Vehicle, dealer, now) -> tuple[LedgerEntry, Redemption, MileageReading]:
    voucher.uses_left -= 1
    entry = LedgerEntry(
        voucher=voucher,
        kind=LedgerEntry.Kind.REDEEMED,
        delta=-1,
        status_before=voucher.status,
        status_after=voucher.status,
        uses_left_after=voucher.uses_left,
        dealer=dealer,
        idempotency_key="k-1",
        data={"mileage_km": 1234},
        created_at=now,
    )
    redemption = Redemption(
        voucher=voucher,
        vehicle=vehicle,
        dealer=dealer,
        status=Redemption.Status.COMPLETED,
        mileage_km=1234,
        idempotency_key="k-1",
        started_at=now,
        completed_at=now,
        redeemed_entry=entry,
    )
    reading = MileageReading(vehicle=vehicle, km=1234, recorded_at=now, source="redemption")
    return entry, redemption, reading


def test_the_rows_are_the_ones_the_orm_saves():
    vehicle, dealer = VehicleFactory(), DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=3), vehicle=vehicle)
    uses_before = voucher.uses_left
    now = timezone.now()
    entry, redemption, reading = _use(voucher, vehicle, dealer, now)
    vehicle.last_visit_at = now
    writes = Writes()
    writes.update(voucher, ["uses_left"])
    writes.insert(entry)
    writes.insert(redemption)
    writes.insert(reading)
    writes.update(vehicle, ["last_visit_at"])
    with CaptureQueriesContext(connection) as queries:
        writes.run()
    assert len(queries.captured_queries) == (1 if connection.vendor == "postgresql" else 5)
    assert entry.pk and redemption.pk and reading.pk
    assert redemption.redeemed_entry_id == entry.pk and redemption.redeemed_entry is entry
    assert not redemption._state.adding
    stored = Redemption.objects.select_related("redeemed_entry").get(pk=redemption.pk)
    assert stored.redeemed_entry.pk == entry.pk and stored.redeemed_entry.data == {"mileage_km": 1234}
    assert stored.completed_at == now and stored.vehicle_id == vehicle.pk
    assert Voucher.objects.get(pk=voucher.pk).uses_left == uses_before - 1
    assert Vehicle.objects.get(pk=vehicle.pk).last_visit_at == now
    assert MileageReading.objects.get(pk=reading.pk).km == 1234


def test_nothing_is_written_when_one_part_breaks_a_constraint():
    vehicle, dealer = VehicleFactory(), DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=3), vehicle=vehicle)
    entry, redemption, _reading = _use(voucher, vehicle, dealer, timezone.now())
    voucher.uses_left = -1  # 0 <= uses_left is a database constraint
    writes = Writes()
    writes.insert(entry)
    writes.insert(redemption)
    writes.update(voucher, ["uses_left"])
    with pytest.raises(IntegrityError), transaction.atomic():
        writes.run()
    assert not LedgerEntry.objects.filter(idempotency_key="k-1").exists()
    assert not Redemption.objects.filter(idempotency_key="k-1").exists()
    assert Voucher.objects.get(pk=voucher.pk).uses_left >= 0


def test_an_update_of_a_row_that_is_gone_is_an_error():
    vehicle = VehicleFactory()
    vehicle.pk += 10_000
    vehicle.last_visit_at = timezone.now()
    writes = Writes()
    writes.update(vehicle, ["last_visit_at"])
    with pytest.raises(DatabaseError), transaction.atomic():
        writes.run()


def test_nothing_queued_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        Writes().run()
    assert queries.captured_queries == []


@pytest.mark.parametrize("kept", [False, True], ids=["compiled", "kept"])
def test_a_kept_statement_gives_the_compilers_text_and_values(kept, monkeypatch):
    """The second statement of a shape reuses the first one's text: text and values are the ones
    Django's compiler gives (NULLs written into an UPDATE, keys read from earlier parts)."""
    from config import one_statement

    vehicle, dealer = VehicleFactory(), DealerFactory()
    voucher = issue_voucher(DefinitionFactory(uses_per_voucher=3), vehicle=vehicle)
    entry, redemption, _reading = _use(voucher, vehicle, dealer, timezone.now())
    vehicle.last_mileage_km, vehicle.last_visit_at = None, timezone.now()
    writes = Writes()
    names = {id(entry): "w1"}
    parts = [
        lambda: writes._update_sql(voucher, ["uses_left", "activated_at"]),
        lambda: writes._update_sql(vehicle, ["last_mileage_km", "last_visit_at", "selling_dealer"]),
        lambda: writes._insert_sql(entry, {}),
        lambda: writes._insert_sql(redemption, names),
    ]

    def run_all():
        # JSON values are adapters compared by their content
        return [(sql, [getattr(p, "obj", p) for p in params]) for sql, params in (part() for part in parts)]

    monkeypatch.setattr(one_statement, "_PART_SQL", {})
    compiled = run_all()
    if kept:
        assert len(one_statement._PART_SQL) == len(parts)
        assert run_all() == compiled  # from the kept text now
    # what the compiler alone writes, with nothing kept
    monkeypatch.setattr(one_statement, "_PART_SQL", {})
    again = run_all()
    assert again == compiled
    update_vehicle_sql = compiled[1][0]
    assert "NULL" in update_vehicle_sql and '"w1"' not in compiled[3][0] and "FROM w1" in compiled[3][0]
    # An INSERT's NULLs (the redemption's advisor, cancellation, reversal) are written into its text
    # too, so they take no parameter: one placeholder per value that is not NULL.
    insert_redemption_sql, insert_redemption_params = compiled[3]
    assert ", NULL" in insert_redemption_sql and None not in insert_redemption_params
    assert insert_redemption_sql.count("%s") == len(insert_redemption_params)


def test_an_expression_is_compiled_every_time_and_never_kept(monkeypatch):
    from django.db.models import F

    from config import one_statement

    monkeypatch.setattr(one_statement, "_PART_SQL", {})
    vehicle = VehicleFactory(last_mileage_km=100)
    vehicle.last_mileage_km = F("last_mileage_km") + 1
    writes = Writes()
    writes.update(vehicle, ["last_mileage_km"])
    writes.run()
    writes.update(vehicle, ["last_mileage_km"])
    writes.run()
    assert one_statement._PART_SQL == {}
    assert Vehicle.objects.get(pk=vehicle.pk).last_mileage_km == 102
