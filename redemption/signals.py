from django.dispatch import Signal

# redemption: Redemption
voucher_redeemed = Signal()
# redemption: Redemption
redemption_reversed = Signal()
