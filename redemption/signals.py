from django.dispatch import Signal

# redemption: Redemption
voucher_redeemed = Signal()
# redemption: Redemption
redemption_reversed = Signal()
# redemption_id: int. Sent by a worker once a completed redemption has committed
# (`redemption.tasks.redemption_followups`): what listeners do after a redemption (points, a
# satisfaction survey) runs in one task for them all, so a redeem pays one enqueue, not one per
# listener. Listeners must be idempotent: a failure in one re-runs the task for all.
redemption_committed = Signal()
