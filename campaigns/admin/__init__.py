"""Back office for campaigns. Segments are here; campaign and notification admins join as modules."""

from . import segments  # noqa: F401  (registers the model admin and the bulk-issuance audience)
