from .benefits import benefits_grant, benefits_grant_all
from .earning import (
    points_earn_for_order,
    points_earn_for_visit,
    points_reverse_for_redemption,
    points_reverse_for_refund,
)
from .exchange import exchange_cancel, exchange_voided, points_exchange
from .ledger import (
    account_of,
    points_adjust,
    points_credit,
    points_debit,
    points_debit_locked,
    points_expire_due,
    points_return,
    points_reverse,
)
from .referrals import referral_code_issue, referral_record, referral_reward
from .tiers import tier_evaluate, tiers_evaluate_all

__all__ = [
    "account_of",
    "benefits_grant",
    "benefits_grant_all",
    "exchange_cancel",
    "exchange_voided",
    "points_adjust",
    "points_credit",
    "points_debit",
    "points_debit_locked",
    "points_earn_for_order",
    "points_earn_for_visit",
    "points_exchange",
    "points_expire_due",
    "points_return",
    "points_reverse",
    "points_reverse_for_redemption",
    "points_reverse_for_refund",
    "referral_code_issue",
    "referral_record",
    "referral_reward",
    "tier_evaluate",
    "tiers_evaluate_all",
]
