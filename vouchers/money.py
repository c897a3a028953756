"""Whole-NT$ arithmetic shared by orders, refunds and revenue: splits that add up exactly."""


def amount_split(amount: int, weights: list[int]) -> list[int]:
    """Split `amount` into parts proportional to `weights` by the largest-remainder method.

    The parts are whole dollars and add up to `amount` exactly; ties in the remainder go to the
    earlier part, so the result is deterministic. All-zero weights split evenly.
    """
    if amount < 0:
        raise ValueError("amount must not be negative")
    if not weights:
        return []
    if any(w < 0 for w in weights):
        raise ValueError("weights must not be negative")
    if sum(weights) == 0:
        weights = [1] * len(weights)
    total = sum(weights)
    floors = [amount * w // total for w in weights]
    remainders = [amount * w % total for w in weights]
    short = amount - sum(floors)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:short]:
        floors[index] += 1
    return floors
