"""The operations back office for vouchers: the definition wizard, bulk issuance, manual actions,
the refund queue and the ledger. Every state change goes through `vouchers.services`."""

from . import batches, definitions, ledger, packs, refunds, vehicle_hooks, vouchers  # noqa: F401  (registers)
