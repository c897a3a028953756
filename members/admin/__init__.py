"""Back office for parties: members (searched by phone in any spelling), dealers and their staff."""

from . import members  # noqa: F401  (registers the model admins)
