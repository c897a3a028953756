"""Timestamps read from PostgreSQL by psycopg's compiled loader.

With USE_TZ, Django registers its own loader for `timestamptz` on every connection: psycopg's
pure-Python parser, then the result's time zone replaced by Django's. When the connection's time
zone is UTC (what Django sets with USE_TZ and no database TIME_ZONE), psycopg's own loader gives
the same datetime with the same `datetime.timezone.utc`, and where psycopg-binary is installed it
parses in C. A redeem reads a score of timestamps, a page of service history hundreds.
"""

import datetime

import psycopg
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ_OID = psycopg.postgres.types["timestamptz"].oid


_PSYCOPG_LOADER = psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class UtcTimestamptzLoader(Loader):
    """psycopg's loader (the compiled class where there is one, which cannot be subclassed), with
    the zone it gives named: Django checks a connection's loader's `timezone` on every cursor and
    registers its own where it differs."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context=None):
        super().__init__(oid, context)
        # The instance's `load` is psycopg's bound method itself: no Python frame of ours per value.
        self.load = _PSYCOPG_LOADER(oid, context).load

    def load(self, data):  # the ABC's; every instance has psycopg's (above)
        raise NotImplementedError


def timestamps_loaded_by_psycopg(sender, connection, **kwargs) -> None:
    """A `connection_created` receiver: on a PostgreSQL connection in UTC whose datetimes Django
    makes aware in UTC, read `timestamptz` with `UtcTimestamptzLoader`."""
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    raw = connection.connection
    if raw.info.parameter_status("TimeZone") != "UTC":
        return  # psycopg would give the connection's zone: leave Django's loader
    raw.adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader)
