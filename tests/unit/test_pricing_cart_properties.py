"""Cart pricing properties: on any cart, promotions and coupons, shares add up, nothing goes
negative, refunds stay within each layer, and item-level offers never stack."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from models.campaigns.rules import Tier
from models.coupons.rules import (
    CouponTerms,
    CouponType,
)
from models.enums import ThresholdKind
from models.errors import DomainError, ErrorCode
from models.pricing.cart import (
    Item,
    ItemPrice,
    Layer,
    price_cart,
    refund_slice,
)
from models.pricing.item_gifts import GiftOffer
from models.pricing.order_promotions import OrderPromotion, PromotionKind

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
FULL_100_OFF_10 = OrderPromotion(1, "双十二", ThresholdKind.AMOUNT, (Tier(1, 10000, 1000),))


items_st = st.lists(
    st.builds(
        Item,
        product_id=st.integers(1, 6),
        unit_price=st.integers(0, 20000),
        quantity=st.integers(1, 9),
        category_id=st.sampled_from([None, 1, 2]),
        item_prices=st.lists(
            st.builds(
                ItemPrice,
                label=st.sampled_from(["单品直降", "限时抢", "会员价"]),
                unit_price=st.integers(0, 20000),
                source_id=st.integers(1, 9),
            ),
            max_size=3,
        ).map(tuple),
    ),
    min_size=1,
    max_size=6,
)
percent_tiers_st = st.lists(
    st.builds(
        Tier,
        id=st.integers(1, 99),
        threshold=st.integers(1, 30000),
        reduction=st.just(0),
        percent_off=st.integers(1, 99),
    ),
    min_size=1,
    max_size=3,
).map(tuple)
promotion_st = st.one_of(
    st.builds(
        OrderPromotion,
        campaign_id=st.integers(1, 9),
        name=st.just("满减"),
        threshold_kind=st.sampled_from(list(ThresholdKind)),
        tiers=st.lists(
            st.builds(
                Tier, id=st.integers(1, 99), threshold=st.integers(1, 30000), reduction=st.integers(0, 40000)
            ),
            min_size=1,
            max_size=3,
        ).map(tuple),
        product_ids=st.one_of(st.none(), st.frozensets(st.integers(1, 6), min_size=1)),
        priority=st.integers(0, 2),
    ),
    st.builds(
        OrderPromotion,
        campaign_id=st.integers(1, 9),
        name=st.just("满折"),
        threshold_kind=st.sampled_from(list(ThresholdKind)),
        tiers=percent_tiers_st,
        product_ids=st.one_of(st.none(), st.frozensets(st.integers(1, 6), min_size=1)),
        priority=st.integers(0, 2),
        kind=st.just(PromotionKind.PERCENT),
        cap=st.one_of(st.none(), st.integers(1, 5000)),
    ),
    st.builds(
        OrderPromotion,
        campaign_id=st.integers(1, 9),
        name=st.just("X元Y件"),
        threshold_kind=st.just(ThresholdKind.QUANTITY),
        tiers=st.just(()),
        product_ids=st.one_of(st.none(), st.frozensets(st.integers(1, 6), min_size=1)),
        priority=st.integers(0, 2),
        kind=st.just(PromotionKind.BUNDLE),
        bundle_size=st.integers(2, 4),
        bundle_price=st.integers(1, 30000),
    ),
)
promotions_st = st.lists(promotion_st, max_size=3)
gift_offers_st = st.lists(
    st.builds(
        GiftOffer,
        campaign_id=st.integers(1, 9),
        name=st.just("买赠"),
        product_ids=st.frozensets(st.integers(1, 6), min_size=1),
        buy_quantity=st.integers(1, 4),
        gift_sku_id=st.integers(1, 3),
        gift_quantity=st.integers(1, 3),
        stock_left=st.one_of(st.none(), st.integers(0, 10)),
        priority=st.integers(0, 2),
    ),
    max_size=2,
)
coupon_st = st.one_of(
    st.none(),
    st.builds(
        CouponTerms,
        coupon_id=st.just(1),
        type=st.just(CouponType.ALL),
        title=st.just("券"),
        amount_off=st.integers(1, 50000),
        percent_off=st.one_of(st.none(), st.integers(1, 99)),
        cap=st.one_of(st.none(), st.integers(1, 5000)),
        threshold=st.integers(0, 5000),
        product_ids=st.one_of(st.none(), st.frozensets(st.integers(1, 6), min_size=1)),
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    items_st, promotions_st, coupon_st, st.integers(0, 2000), st.integers(0, 500), gift_offers_st, st.data()
)
def test_never_negative_shares_add_up_and_refunds_stay_within_each_layer(
    items: list[Item],
    promotions: list[OrderPromotion],
    coupon: CouponTerms | None,
    delivery: int,
    packaging: int,
    offers: list[GiftOffer],
    data: st.DataObject,
) -> None:
    shipping = CouponTerms(2, CouponType.SHIPPING, "运费券", amount_off=data.draw(st.integers(1, 3000)))
    refused = (ErrorCode.COUPON_BELOW_THRESHOLD, ErrorCode.COUPON_NOT_APPLICABLE)
    try:
        p = price_cart(
            items,
            promotions,
            goods_coupon=coupon,
            shipping_coupon=shipping,
            delivery_fee=delivery,
            packaging_fee=packaging,
            gift_offers=offers,
        )
    except DomainError as exc:
        if exc.code not in refused:
            raise
        return
    assert all(g.quantity > 0 for g in p.gifts)
    for gift in p.gifts:
        stocks = [o.stock_left for o in offers if o.campaign_id == gift.source_id]
        assert None in stocks or gift.quantity <= max(s for s in stocks if s is not None)
    if p.applied is not None:
        order_adjustments = [a for a in p.adjustments if a.layer is Layer.ORDER]
        assert sum(a.amount for a in order_adjustments) == sum(line.order for line in p.lines)
        assert all(
            not applied_share or p.applied.promotion.covers(item.product_id)
            for item, applied_share in zip(items, p.applied.shares, strict=True)
        )
    for line in p.lines:
        assert min(line.item, line.order, line.coupon, line.paid) >= 0
    assert p.payable >= 0
    assert 0 <= p.shipping_discount <= delivery
    assert sum(a.amount for a in p.adjustments) == p.discount + p.shipping_discount
    assert sum(line.paid for line in p.lines) + p.discount == p.goods
    assert p.payable == sum(line.paid for line in p.lines) + delivery - p.shipping_discount + packaging
    for item, line in zip(items, p.lines, strict=True):
        done = 0
        back = [0, 0, 0, 0]
        while done < item.quantity:
            n = data.draw(st.integers(1, item.quantity - done))
            s = refund_slice(line, item.quantity, done, n)
            back = [back[0] + s.paid, back[1] + s.item, back[2] + s.order, back[3] + s.coupon]
            assert min(s.paid, s.item, s.order, s.coupon) >= 0
            assert back[0] <= line.paid
            assert back[1] <= line.item
            assert back[2] <= line.order
            assert back[3] <= line.coupon
            done += n
        assert back == [line.paid, line.item, line.order, line.coupon]


@settings(max_examples=200, deadline=None)
@given(items_st)
def test_item_level_is_the_lowest_offer_one_adjustment_per_line(items: list[Item]) -> None:
    """单品直降 / 限时抢 / member prices never stack: a line pays its lowest offer (never above the store
    price), and its item-level adjustment names that offer and touches that line only — checkout
    reads the winning 限时抢 (label, source) from it to take the flash stock."""
    p = price_cart(items)
    item_adjustments = [a for a in p.adjustments if a.layer is Layer.ITEM]
    for index, (item, line) in enumerate(zip(items, p.lines, strict=True)):
        best = min((o.unit_price for o in item.item_prices), default=item.unit_price)
        assert line.item == max(item.unit_price - best, 0) * item.quantity
        mine = [a for a in item_adjustments if a.shares[index]]
        assert len(mine) == (1 if line.item else 0)
        for a in mine:
            assert a.amount == line.item
            assert sum(a.shares) == a.amount
            winner = [o for o in item.item_prices if o.label == a.label and o.unit_price == best]
            assert any(o.source_id == a.source_id for o in winner)
