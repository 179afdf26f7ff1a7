"""The one pricing function (`price_cart`): a cart, the running promotions and the chosen coupons in,
a line-by-line explainable price out. Pure; the checkout loads the rows and calls it.

Order of the layers (each works on what the previous left):
1. item level — the lowest of the store price and the item prices offered (member price, 单品直降,
   限时抢, 爆品价); they never stack;
2. item gifts (单品买赠, `models.pricing.item_gifts`) and the gift of the order promotion's tier are
   zero-price lines;
3. one order-level promotion (满减 / 满折 / 多买多折 / X元Y件, `models.pricing.order_promotions`) —
   the highest `priority`, then the most money off for the buyer;
4. one goods coupon on the goods it covers, and one shipping coupon on the delivery fee;
5. fees (delivery, packaging).
Every discount is spread over the lines it touches pro rata in exact cents, so each line knows what
each layer took and what it paid; no line, fee or total goes below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from models.coupons.rules import CouponTerms, CouponThreshold, coupon_value
from models.errors import DomainError, ErrorCode
from models.money import format_cents
from models.pricing import allocate, units_share
from models.pricing.item_gifts import Gift, GiftOffer, item_gifts
from models.pricing.order_promotions import (
    OrderPromotion,
    PromotionResult,
    ScopedLine,
    best_promotion,
    evaluate_promotion,
    hint_promotion,
    promotion_label,
)


class Layer(StrEnum):
    ITEM = "ITEM"
    ORDER = "ORDER"
    COUPON = "COUPON"
    SHIPPING_COUPON = "SHIPPING_COUPON"


COUPON_LAYERS: Final = (Layer.COUPON, Layer.SHIPPING_COUPON)


@dataclass(frozen=True, slots=True)
class ItemPrice:
    """An item-level price on offer for one unit (member price, 单品直降, 限时抢 …)."""

    label: str
    unit_price: int
    source_id: int | None = None


@dataclass(frozen=True, slots=True)
class Item:
    product_id: int
    unit_price: int
    """The store's price for one unit (before any promotion)."""
    quantity: int
    category_id: int | None = None
    item_prices: tuple[ItemPrice, ...] = ()


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One line of the explanation ("满100减10 −¥10.00")."""

    layer: Layer
    label: str
    amount: int
    source_id: int | None
    shares: tuple[int, ...] = ()
    """Per cart item, what this adjustment took (empty for the shipping coupon)."""

    @property
    def text(self) -> str:
        return f"{self.label} −¥{format_cents(self.amount)}"


@dataclass(frozen=True, slots=True)
class LinePrice:
    """What each layer took from one line; `paid = gross − item − order − coupon` ≥ 0."""

    gross: int
    item: int = 0
    order: int = 0
    coupon: int = 0

    @property
    def discount(self) -> int:
        return self.item + self.order + self.coupon

    @property
    def paid(self) -> int:
        return self.gross - self.discount


@dataclass(frozen=True, slots=True)
class Pricing:
    lines: tuple[LinePrice, ...]
    """One per cart item, in cart order."""
    gifts: tuple[Gift, ...]
    adjustments: tuple[Adjustment, ...]
    delivery_fee: int
    """The store's fee before the shipping coupon."""
    shipping_discount: int
    packaging_fee: int
    applied: PromotionResult | None
    hinted: PromotionResult | None
    """The promotion whose next tier to advertise ("再买 ¥12 减 ¥20")."""
    goods_coupon: CouponTerms | None = None
    shipping_coupon: CouponTerms | None = None
    offers: tuple[PromotionResult, ...] = field(default=())

    @property
    def goods(self) -> int:
        return sum(line.gross for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def delivery_charged(self) -> int:
        return self.delivery_fee - self.shipping_discount

    @property
    def payable(self) -> int:
        return self.goods - self.discount + self.delivery_charged + self.packaging_fee

    def coupon_discount(self) -> int:
        return sum(line.coupon for line in self.lines) + self.shipping_discount


def _item_level(items: Sequence[Item]) -> tuple[list[int], list[Adjustment]]:
    """Per item the units' total after the lowest item price (never above the store price)."""
    amounts, adjustments = [], []
    for index, item in enumerate(items):
        best = min(item.item_prices, key=lambda p: (p.unit_price, p.label), default=None)
        if best is not None and 0 <= best.unit_price < item.unit_price:
            off = (item.unit_price - best.unit_price) * item.quantity
            shares = tuple(off if i == index else 0 for i in range(len(items)))
            adjustments.append(Adjustment(Layer.ITEM, best.label, off, best.source_id, shares))
            amounts.append(best.unit_price * item.quantity)
        else:
            amounts.append(item.unit_price * item.quantity)
    return amounts, adjustments


def coupon_base(
    coupon: CouponTerms, items: Sequence[Item], remaining: Sequence[int]
) -> tuple[list[int], int]:
    """(weights of the lines the coupon covers, units covered)."""
    weights = [
        r if coupon.covers(i.product_id, i.category_id) else 0 for i, r in zip(items, remaining, strict=True)
    ]
    units = sum(
        i.quantity
        for i, w in zip(items, weights, strict=True)
        if w or coupon.covers(i.product_id, i.category_id)
    )
    return weights, units


def _meets(coupon: CouponTerms, amount: int, units: int) -> bool:
    measure = units if coupon.threshold_kind is CouponThreshold.QUANTITY else amount
    return measure >= coupon.threshold


def goods_coupon_shares(
    coupon: CouponTerms, items: Sequence[Item], remaining: Sequence[int], field_name: str = "couponIds"
) -> list[int]:
    """The coupon's value spread over the lines it covers; refuses a cart below its threshold."""
    weights, units = coupon_base(coupon, items, remaining)
    if not any(coupon.covers(i.product_id, i.category_id) for i in items):
        raise DomainError(
            ErrorCode.COUPON_NOT_APPLICABLE,
            f"{coupon.title}: no product of the order is in its scope",
            field_name,
        )
    if not _meets(coupon, sum(weights), units):
        raise DomainError(
            ErrorCode.COUPON_BELOW_THRESHOLD,
            f"{coupon.title}: the order does not reach its threshold",
            field_name,
        )
    return allocate(coupon_value(coupon, sum(weights)), weights)


def scoped_lines(items: Sequence[Item], amounts: Sequence[int]) -> list[ScopedLine]:
    return [ScopedLine(i.product_id, i.quantity, a) for i, a in zip(items, amounts, strict=True)]


def price_cart(
    items: Sequence[Item],
    promotions: Sequence[OrderPromotion] = (),
    *,
    gift_offers: Sequence[GiftOffer] = (),
    goods_coupon: CouponTerms | None = None,
    shipping_coupon: CouponTerms | None = None,
    delivery_fee: int = 0,
    packaging_fee: int = 0,
    fixed_discounts: Sequence[int] | None = None,
    fixed_label: str = "拼团价",
) -> Pricing:
    """Price the cart through the layers; `fixed_discounts` (group-buy prices) replace layers 1–3."""
    if any(i.quantity <= 0 or i.unit_price < 0 for i in items) or delivery_fee < 0 or packaging_fee < 0:
        raise ValueError("quantities must be positive and prices non-negative")
    adjustments: list[Adjustment] = []
    gifts: list[Gift] = []
    results: list[PromotionResult] = []
    applied = hinted = None
    gross = [i.unit_price * i.quantity for i in items]
    if fixed_discounts is not None:
        item_off = [min(max(d, 0), g) for d, g in zip(fixed_discounts, gross, strict=True)]
        if sum(item_off):
            adjustments.append(Adjustment(Layer.ITEM, fixed_label, sum(item_off), None, tuple(item_off)))
        order_off = [0] * len(items)
    else:
        amounts, adjustments = _item_level(items)
        item_off = [g - a for g, a in zip(gross, amounts, strict=True)]
        gifts.extend(item_gifts(gift_offers, [(i.product_id, i.quantity) for i in items]))
        scoped = scoped_lines(items, amounts)
        results = [evaluate_promotion(p, scoped) for p in promotions]
        applied = best_promotion(results)
        hinted = hint_promotion(results, applied)
        order_off = list(applied.shares) if applied else [0] * len(items)
        if applied is not None:
            tier = applied.outcome.reached
            assert tier is not None
            if applied.reduction:
                adjustments.append(
                    Adjustment(
                        Layer.ORDER,
                        promotion_label(applied),
                        applied.reduction,
                        applied.promotion.campaign_id,
                        applied.shares,
                    )
                )
            if tier.gift_sku_id is not None:
                gifts.append(Gift(tier.gift_sku_id, tier.gift_quantity, applied.promotion.name))
    remaining = [g - a - o for g, a, o in zip(gross, item_off, order_off, strict=True)]
    coupon_off = [0] * len(items)
    if goods_coupon is not None:
        coupon_off = goods_coupon_shares(goods_coupon, items, remaining)
        adjustments.append(
            Adjustment(
                Layer.COUPON,
                f"券 {goods_coupon.title}",
                sum(coupon_off),
                goods_coupon.coupon_id,
                tuple(coupon_off),
            )
        )
    shipping_off = 0
    if shipping_coupon is not None:
        after_goods = sum(remaining) - sum(coupon_off)
        units = sum(i.quantity for i in items)
        if not _meets(shipping_coupon, after_goods, units):
            raise DomainError(
                ErrorCode.COUPON_BELOW_THRESHOLD,
                f"{shipping_coupon.title}: the order does not reach its threshold",
                "couponIds",
            )
        shipping_off = coupon_value(shipping_coupon, delivery_fee)
        adjustments.append(
            Adjustment(
                Layer.SHIPPING_COUPON,
                f"运费券 {shipping_coupon.title}",
                shipping_off,
                shipping_coupon.coupon_id,
            )
        )
    lines = tuple(
        LinePrice(g, a, o, c) for g, a, o, c in zip(gross, item_off, order_off, coupon_off, strict=True)
    )
    return Pricing(
        lines,
        tuple(gifts),
        tuple(adjustments),
        delivery_fee,
        shipping_off,
        packaging_fee,
        applied,
        hinted,
        goods_coupon,
        shipping_coupon,
        tuple(results),
    )


def best_goods_coupon(
    items: Sequence[Item], promotions: Sequence[OrderPromotion], coupons: Sequence[CouponTerms]
) -> tuple[CouponTerms, int] | None:
    """The usable goods coupon that takes the most off this cart (ties: the earlier one), and how much."""
    base = price_cart(items, promotions)
    remaining = [line.paid for line in base.lines]
    best: tuple[CouponTerms, int] | None = None
    for coupon in coupons:
        if coupon.is_shipping:
            continue
        try:
            value = sum(goods_coupon_shares(coupon, items, remaining))
        except DomainError:
            continue
        if value and (best is None or value > best[1]):
            best = (coupon, value)
    return best


def refund_slice(line: LinePrice, quantity: int, first_unit: int, units: int) -> LinePrice:
    """What refunding units [first_unit, first_unit + units) of a line gives back, layer by layer.

    The money returned is the units' share of what the line paid; each discount layer is taken
    back by its own cumulative share, and the gross is their sum. Refunds taken in unit order, in
    any number of steps, add up per layer to exactly the line's amounts — never more for any layer.
    """
    item = units_share(line.item, quantity, first_unit, units)
    order = units_share(line.order, quantity, first_unit, units)
    coupon = units_share(line.coupon, quantity, first_unit, units)
    paid = units_share(line.paid, quantity, first_unit, units)
    return LinePrice(paid + item + order + coupon, item, order, coupon)
