"""config.db_loaders: PostgreSQL timestamps are read by psycopg's own (compiled) loader on a UTC
connection, giving exactly the datetimes Django's loader gives, and Django's loader stays where
the connection's zone is not UTC."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from config.db_loaders import TIMESTAMPTZ_OID, UtcTimestamptzLoader

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TIMESTAMPS = [
    "2026-12-07 10:00:00+08",
    "2026-12-07 10:00:00.123456+08",
    "2026-12-31 23:59:59.999999+00",
    "2024-02-29 12:00:00-05:30",
    "1970-01-01 00:00:00+00",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59+00",
    None,
]


def _read(cursor, timestamps=TIMESTAMPS) -> list:
    cursor.execute("SELECT " + ", ".join("%s::timestamptz" for _ in timestamps), timestamps)
    return list(cursor.fetchone())


def test_a_utc_connection_reads_with_psycopgs_loader_what_djangos_gives():
    connection.ensure_connection()
    assert connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is UtcTimestamptzLoader
    with connection.cursor() as cursor:
        # Django's check on each cursor found the zone it wants: the cursor keeps our loader.
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT) is UtcTimestamptzLoader
        ours = _read(cursor)
        register_tzloader(connection.timezone, cursor.cursor)  # what Django registers otherwise
        djangos = _read(cursor)
    assert ours == djangos
    assert [v.tzinfo for v in ours if v] == [v.tzinfo for v in djangos if v] == [datetime.UTC] * 7
    assert ours[1] == datetime.datetime(2026, 12, 7, 2, 0, 0, 123456, tzinfo=datetime.UTC)


@pytest.mark.parametrize("value", ["infinity", "-infinity"])
def test_a_timestamp_python_cannot_hold_fails_alike(value):
    failures = []
    for django_loader in (False, True):
        with connection.cursor() as cursor:
            if django_loader:
                register_tzloader(connection.timezone, cursor.cursor)
            cursor.execute(f"SELECT '{value}'::timestamptz")
            with pytest.raises(Exception) as failed:  # its type and text are compared below
                cursor.fetchone()
            failures.append((type(failed.value), str(failed.value)))
    assert failures[0] == failures[1]


def test_a_connection_in_another_zone_keeps_djangos_loader():
    wrapper = DatabaseWrapper({**connection.settings_dict, "TIME_ZONE": "Asia/Taipei"}, alias="taipei")
    try:
        wrapper.ensure_connection()
        loader = wrapper.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
        assert loader is not UtcTimestamptzLoader and loader.timezone.key == "Asia/Taipei"
        with wrapper.cursor() as cursor:
            value = _read(cursor, TIMESTAMPS[:1])[0]
        assert value.tzinfo.key == "Asia/Taipei" and value.hour == 10
    finally:
        wrapper.close()
