"""Pure money arithmetic of orders: exact cents, no floats, shares that add up.

An order-level discount (满减, group price difference…) is spread over the lines in proportion
to their amounts with the largest-remainder method, so the shares always sum to the discount
exactly and each line's paid amount is known — which is what makes per-line refunds exact.
"""

from __future__ import annotations

from collections.abc import Sequence


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` cents over `weights` pro rata; shares are ≥ 0, never exceed what is fair by a cent,
    and sum to `total` exactly. Ties in remainders go to the earlier weight (stable, deterministic)."""
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError("total and weights must be non-negative")
    weight_sum = sum(weights)
    if not weights or weight_sum == 0:
        if total:
            raise ValueError("cannot allocate a positive total over zero weights")
        return [0] * len(weights)
    shares = [total * w // weight_sum for w in weights]
    remainders = [(total * w % weight_sum, -i) for i, w in enumerate(weights)]
    for _, neg_index in sorted(remainders, reverse=True)[: total - sum(shares)]:
        shares[-neg_index] += 1
    return shares


def pro_rata(amount: int, part: int, whole: int) -> int:
    """The cents of `amount` that belong to `part` of `whole` units, rounded down.

    Used for the default refund of some units of a line: rounding down keeps every partial
    refund within what was paid; the last units refunded take the remainder (see `refund_default`).
    """
    if whole <= 0 or not 0 <= part <= whole:
        raise ValueError("need 0 <= part <= whole and whole > 0")
    return amount * part // whole


def refund_default(paid: int, quantity: int, refunded_amount: int, refunded_quantity: int, units: int) -> int:
    """Default refund for `units` more units of a line: pro rata of what was paid, and exactly the
    rest when these are the last units, so a line refunded in several steps returns its paid amount."""
    remaining_units = quantity - refunded_quantity
    if not 0 < units <= remaining_units:
        raise ValueError("units must be between 1 and the units not yet refunded")
    if units == remaining_units:
        return paid - refunded_amount
    return min(pro_rata(paid, units, quantity), paid - refunded_amount)
