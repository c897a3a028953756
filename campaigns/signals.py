"""Events the campaigns app announces (portal or reports may listen)."""

from django.dispatch import Signal

# referral: ReferralSuccess
referral_succeeded = Signal()
