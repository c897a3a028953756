"""Back office for campaigns, one module per area: segments (also the bulk-issuance audience),
campaigns, and the notification outbox with its message templates."""

from . import alerts, campaigns, notifications, nps, offers, segments  # noqa: F401  (each registers its model admins)
