"""Demo data for a first run: three dealers, hundreds of owners and cars, every kind of voucher."""
