from . import prices, rates, statements  # noqa: F401  (registers the admin classes)
