"""Events the loyalty app announces to higher apps (campaigns notifies; sent inside the transaction)."""

from django.dispatch import Signal

# change: TierChange (upgraded or downgraded)
tier_changed = Signal()
