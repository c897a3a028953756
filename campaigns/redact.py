"""One-time sign-in codes are for the owner's eyes only: once an SMS is out, the outbox keeps it masked."""

import re

_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def codes_masked(text: str) -> str:
    """`text` with every six-digit run (a sign-in code) replaced by bullets."""
    return _CODE.sub("••••••", text)
