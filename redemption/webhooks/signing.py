"""HMAC-SHA256 signatures: `Webhook-Signature: t=<unix seconds>,v1=<hex>` over "<t>.<raw body>".

Partners verify with `signature_verify` (or the same few lines in their language, see docs/api.md);
the timestamp inside the signed text stops an old delivery from being replayed later.
"""

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Webhook-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature_compute(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature_compute(secret, timestamp, body)}"


def signature_verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and is no older than the tolerance."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        return False
    return hmac.compare_digest(signature_compute(secret, timestamp, body), given)
