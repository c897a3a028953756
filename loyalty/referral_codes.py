"""What a referral code looks like: short, read aloud and typed from paper, so no 0/O or 1/I/L."""

import secrets

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_LENGTH = 12  # ReferralCode.code


def referral_code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def referral_code_clean(raw: object) -> str:
    """A code as typed or carried in a link (case and separators do not matter); "" when it cannot
    be a code."""
    text = str(raw or "").upper().replace("-", "").replace(" ", "").strip()
    return text if 1 <= len(text) <= MAX_LENGTH and all(c in ALPHABET for c in text) else ""
