"""Which pricing layer each cent of a refund came from (pure).

A refund of units gives back what those units paid; seen through the layers, that is their gross
(store price) less what each discount layer had taken from them (`refund_slice`, cumulative per
line, so a line's refunds in any number of steps never take back more of a layer than it took).
A refund asked below the units' share is `lowered`; a 退差价 gives money on units the buyer keeps
(`price_difference`); the last refund of an order that was not completed also returns the fees,
the delivery fee net of the shipping coupon, and whatever earlier lowered refunds held back
(`held_back`). The parts always add up to the refund amount exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from models.pricing.cart import LinePrice, refund_slice


@dataclass(frozen=True, slots=True)
class RefundedLine:
    """One line of one refund: the line's prices, its quantity, the units refunded before this
    refund, the units and money of this one, and whether the units go back (not a 退差价)."""

    line: LinePrice
    quantity: int
    refunded_before: int
    units: int
    amount: int
    consumes_units: bool = True


@dataclass(frozen=True, slots=True)
class OrderFees:
    delivery_fee: int
    """Before the shipping coupon."""
    shipping_coupon: int
    packaging_fee: int

    @property
    def charged(self) -> int:
        return self.delivery_fee - self.shipping_coupon + self.packaging_fee


@dataclass(frozen=True, slots=True)
class RefundLayers:
    goods: int = 0
    """Gross (store price) of the refunded units."""
    item: int = 0
    order: int = 0
    coupon: int = 0
    lowered: int = 0
    price_difference: int = 0
    delivery_fee: int = 0
    shipping_coupon: int = 0
    packaging_fee: int = 0
    held_back: int = 0

    @property
    def amount(self) -> int:
        return (
            self.goods
            - self.item
            - self.order
            - self.coupon
            - self.lowered
            + self.price_difference
            + self.delivery_fee
            - self.shipping_coupon
            + self.packaging_fee
            + self.held_back
        )


def refund_layers(lines: Sequence[RefundedLine], refund_amount: int, fees: OrderFees) -> RefundLayers:
    """Split a refund of `refund_amount` over the layers; what the lines do not account for is the
    order's fees (and earlier held-back money), returned with its last units."""
    goods = item = order = coupon = lowered = difference = 0
    for r in lines:
        if not r.consumes_units:
            difference += r.amount
            continue
        part = refund_slice(r.line, r.quantity, r.refunded_before, r.units)
        goods, item, order, coupon = (
            goods + part.gross,
            item + part.item,
            order + part.order,
            coupon + part.coupon,
        )
        lowered += part.paid - r.amount
    rest = refund_amount - sum(r.amount for r in lines)
    if rest <= 0:
        return RefundLayers(goods, item, order, coupon, lowered - rest, difference)
    return RefundLayers(
        goods,
        item,
        order,
        coupon,
        lowered,
        difference,
        fees.delivery_fee,
        fees.shipping_coupon,
        fees.packaging_fee,
        rest - fees.charged,
    )
