"""Reports 1–6 (5 and 6 from finance); importing this package registers them (ReportsConfig.ready)."""

from . import campaigns, customers, demand, finance, takeup  # noqa: F401
