"""The partner REST API (/api/v1/): thin DRF views over the vouchers and redemption services."""
