"""Benchmarks: scripts run from the repository root (`.venv/bin/python bench/<name>.py`).

A package so that gunicorn can import the raw-SQL baseline (`bench.baseline_urls`,
`bench.baseline_settings`) next to the project's own URLs.
"""
