"""Higher apps add their own demo rows to the demo data set (seed_demo, the admin-language test)
without this app importing them: they register a seeder from their AppConfig.ready."""

from collections.abc import Callable
from datetime import datetime

_SEEDERS: list[Callable[..., None]] = []


def register_demo_seeder(seeder: Callable[..., None]) -> None:
    """`seeder(now=...)` runs at the end of `seed()`, inside its transaction, once per seeder."""
    if seeder not in _SEEDERS:
        _SEEDERS.append(seeder)


def run_demo_seeders(*, now: datetime) -> None:
    for seeder in _SEEDERS:
        seeder(now=now)
