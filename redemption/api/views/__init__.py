"""Partner API views, one module per resource."""
