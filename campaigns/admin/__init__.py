"""Admin for the campaigns app, one module per area (the segments module is registered elsewhere)."""

from . import campaigns, notifications  # noqa: F401
