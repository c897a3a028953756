"""ECPay's CheckMacValue: the SHA256 signature on every field of what we send and what we receive.

ECPay's rule (All-In-One, EncryptType=1): sort the fields by name (A–Z, case-insensitive), join them as
`key=value` with `&`, put `HashKey=…&` in front and `&HashIV=…` behind, URL-encode the whole string
the way .NET's `HttpUtility.UrlEncode` does (space as `+`; `-_.!*()` left as they are), lower-case it,
hash it with SHA256 and write the digest in upper case.
"""

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote_plus

FIELD = "CheckMacValue"
_NET_SAFE = "-_.!*()"  # characters .NET's UrlEncode leaves alone and Python's quote_plus would encode


def check_mac_value(
    fields: Mapping[str, object], *, hash_key: str, hash_iv: str, algorithm: str = "sha256"
) -> str:
    """The CheckMacValue of `fields` (any `CheckMacValue` among them is left out)."""
    pairs = sorted(((str(k), str(v)) for k, v in fields.items() if k != FIELD), key=lambda kv: kv[0].lower())
    raw = "&".join([f"HashKey={hash_key}", *(f"{k}={v}" for k, v in pairs), f"HashIV={hash_iv}"])
    encoded = quote_plus(raw, safe=_NET_SAFE).lower()
    return hashlib.new(algorithm, encoded.encode("utf-8")).hexdigest().upper()


def check_mac_valid(fields: Mapping[str, object], *, hash_key: str, hash_iv: str) -> bool:
    """Whether `fields` carry the CheckMacValue their content gives (compared in constant time)."""
    given = str(fields.get(FIELD, ""))
    if not given:
        return False
    expected = check_mac_value(fields, hash_key=hash_key, hash_iv=hash_iv)
    return hmac.compare_digest(given.upper().encode(), expected.encode())


def signed(fields: Mapping[str, object], *, hash_key: str, hash_iv: str) -> dict[str, str]:
    """`fields` as strings with their CheckMacValue added."""
    out = {str(k): str(v) for k, v in fields.items() if k != FIELD}
    out[FIELD] = check_mac_value(out, hash_key=hash_key, hash_iv=hash_iv)
    return out
