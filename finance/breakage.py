"""Breakage under IFRS 15 B44–B47, per service category.

Finance expects a share `rate` of what a category sells never to be used. B46: that expected
breakage is recognised in proportion to the rights the customers exercise. Here, at any moment:

    expected so far  = min(used × rate / (1 − rate),  (sales − released) × rate)
    held in advance  = clamp(expected so far − written off,  0,  value of the uses left)

`used` is the value of uses so far, `written off` what expired or was voided (actual breakage,
counted against the expectation). The advance is a part of the uses-left value already recognised;
deferred revenue is the uses-left value less that advance. Breakage of a period is what was written
off in it plus the change of the advance; once every voucher is settled the advance is 0 and the
breakage recognised is exactly what expired. All in whole NT$, rounded down.
"""

from dataclasses import dataclass

BP = 10_000


@dataclass(frozen=True)
class Cumulative:
    """A category's sums since the start, up to some moment (from the daily facts)."""

    sales: int = 0
    used: int = 0
    uses: int = 0
    released: int = 0
    refunded: int = 0
    written_off: int = 0
    open_uses: int = 0

    @property
    def uses_left_value(self) -> int:
        return self.sales - self.used - self.released - self.written_off

    def __add__(self, other: "Cumulative") -> "Cumulative":
        return Cumulative(
            *(getattr(self, f) + getattr(other, f) for f in self.__dataclass_fields__)  # type: ignore[arg-type]
        )


def rate_from_history(c: Cumulative) -> int:
    """The share of the value that ran its course (used or written off) that was written off, in bp."""
    resolved = c.used + c.written_off
    if resolved <= 0 or c.written_off <= 0:
        return 0
    return min(BP - 1, c.written_off * BP // resolved)


def breakage_advance(c: Cumulative, rate_bp: int) -> int:
    """Expected breakage recognised ahead of expiry, held against the uses-left value."""
    if rate_bp <= 0:
        return 0
    from_uses = max(c.used, 0) * rate_bp // (BP - rate_bp)
    ceiling = max(c.sales - c.released, 0) * rate_bp // BP
    return max(0, min(min(from_uses, ceiling) - c.written_off, c.uses_left_value))
