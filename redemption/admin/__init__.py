"""Back office for redemptions: the list (scoped for dealer managers), reversals, and redeeming a
voucher on a dealer's behalf from the voucher's page; partner API keys (revocation) and webhooks."""

from . import partners, redemptions, vehicle_hooks  # noqa: F401  (register the model admins and the voucher-page button)
