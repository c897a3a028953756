"""Back office for vehicles: search by plate in any spelling or VIN, ownership transfer, binding queue."""

from . import alerts, binding, imports, vehicles  # noqa: F401  (registers the model admins)
