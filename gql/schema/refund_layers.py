"""GraphQL type of a refund's pricing layers: where each cent of an after-sale's refund came from."""

from __future__ import annotations

import strawberry

from gql.schema.common import Money, money
from models.pricing.refunds import RefundLayers as RefundLayersRow


@strawberry.type(
    description="Where each cent of a refund came from, by pricing layer: amount = goods − itemPromotion"
    " − orderPromotion − goodsCoupon − lowered + priceDifference + deliveryFee − shippingCoupon"
    " + packagingFee + heldBack, exactly."
)
class RefundLayers:
    goods: Money = strawberry.field(description="Store price of the refunded units.")
    item_promotion: Money = strawberry.field(description="Item-level discount those units had (ITEM).")
    order_promotion: Money = strawberry.field(description="Their share of the order promotion (ORDER).")
    goods_coupon: Money = strawberry.field(description="Their share of the goods coupon (COUPON).")
    lowered: Money = strawberry.field(description="How far the refund was lowered below their paid share.")
    price_difference: Money = strawberry.field(description="退差价: money back on units the buyer keeps.")
    delivery_fee: Money = strawberry.field(
        description="The delivery fee returned (before the shipping coupon)."
    )
    shipping_coupon: Money = strawberry.field(
        description="The shipping coupon's part of that fee (SHIPPING_COUPON)."
    )
    packaging_fee: Money
    held_back: Money = strawberry.field(
        description="Money earlier lowered refunds kept, returned with the last units."
    )
    amount: Money = strawberry.field(description="The sum: the after-sale's refund amount.")

    @classmethod
    def of(cls, r: RefundLayersRow) -> RefundLayers:
        return cls(
            goods=money(r.goods),
            item_promotion=money(r.item),
            order_promotion=money(r.order),
            goods_coupon=money(r.coupon),
            lowered=money(r.lowered),
            price_difference=money(r.price_difference),
            delivery_fee=money(r.delivery_fee),
            shipping_coupon=money(r.shipping_coupon),
            packaging_fee=money(r.packaging_fee),
            held_back=money(r.held_back),
            amount=money(r.amount),
        )
