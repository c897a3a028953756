"""Vehicles, owners and workshop visits from dealer DMS / brand CRM files (DESIGN.md §9)."""
