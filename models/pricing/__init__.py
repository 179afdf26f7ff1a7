"""Pure pricing of orders: exact cents, no floats, shares that add up.

`models.pricing.cart.price_cart` is the one pricing function (SPEC order: item level → item gifts →
one order-level promotion → one goods coupon + one shipping coupon → fees); this module holds the
arithmetic it and the refunds share.

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


def units_share(paid: int, quantity: int, first_unit: int, units: int) -> int:
    """What units [first_unit, first_unit + units) of a line paid, out of `paid` for `quantity` units.

    Cumulative rounding: the first n units paid floor(paid × n / quantity), so any group of units is
    within a cent of its pro-rata value, and refunds taken in order (in any number of steps) add up
    to exactly what was paid — never more for any unit.
    """
    if quantity <= 0 or units <= 0 or first_unit < 0 or first_unit + units > quantity:
        raise ValueError("units must lie within the line's quantity")
    return paid * (first_unit + units) // quantity - paid * first_unit // quantity


def percent_price(unit_price: int, percent_off: int) -> int:
    """商品折扣: the unit price `percent_off` % below `unit_price`, in whole cents. The discount is
    rounded down (the buyer never gets more than the percentage), so the price is rounded up:
    ¥9.99 at 15% off → 149.85 cents off → 149 → ¥8.50."""
    if unit_price < 0 or not 0 <= percent_off <= 100:
        raise ValueError("a non-negative price and a percentage of 0 to 100")
    return unit_price - unit_price * percent_off // 100
