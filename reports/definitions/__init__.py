"""Reports 1–4; importing this package registers them (ReportsConfig.ready)."""

from . import campaigns, customers, demand, takeup  # noqa: F401
