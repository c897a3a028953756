"""Reports 1–7 (5, 6 from finance; 7, points, from loyalty); importing this registers them."""

from . import campaigns, customers, demand, finance, loyalty, takeup  # noqa: F401
