"""Back office for redemptions: the list (scoped for dealer managers), reversals, and redeeming a
voucher on a dealer's behalf from the voucher's page."""

from . import redemptions  # noqa: F401  (registers the model admin and the voucher-page button)
