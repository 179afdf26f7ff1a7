from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.campaign_rules import Tier
from models.coupon_rules import (
    CouponStatus,
    CouponTerms,
    CouponThreshold,
    CouponType,
    check_usable,
    coupon_value,
)
from models.enums import ThresholdKind
from models.errors import DomainError, ErrorCode
from models.pricing import percent_price
from models.pricing.cart import (
    Item,
    ItemPrice,
    Layer,
    OrderPromotion,
    best_goods_coupon,
    price_cart,
    refund_slice,
)

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
FULL_100_OFF_10 = OrderPromotion(1, "双十二", ThresholdKind.AMOUNT, (Tier(1, 10000, 1000),))


def test_layers_in_order_and_explained() -> None:
    items = [
        Item(1, 3000, 2, item_prices=(ItemPrice("限时抢", 2700, 9),)),
        Item(2, 5000, 1),
    ]
    coupon = CouponTerms(7, CouponType.ALL, "满50减5", amount_off=500, threshold=5000)
    shipping = CouponTerms(8, CouponType.SHIPPING, "免运费", amount_off=300)
    p = price_cart(
        items,
        [FULL_100_OFF_10],
        goods_coupon=coupon,
        shipping_coupon=shipping,
        delivery_fee=500,
        packaging_fee=100,
    )
    assert [a.text for a in p.adjustments] == [
        "限时抢 −¥6.00",
        "双十二: 满100减10 −¥10.00",
        "券 满50减5 −¥5.00",
        "运费券 免运费 −¥3.00",
    ]
    assert [a.layer for a in p.adjustments] == [Layer.ITEM, Layer.ORDER, Layer.COUPON, Layer.SHIPPING_COUPON]
    assert p.goods == 11000
    assert p.discount == 600 + 1000 + 500
    assert p.payable == 11000 - 2100 + 200 + 100
    assert sum(line.paid for line in p.lines) == p.goods - p.discount


def test_item_prices_do_not_stack_and_never_raise_the_price() -> None:
    item = Item(
        1, 1000, 1, item_prices=(ItemPrice("会员价", 900), ItemPrice("单品直降", 800), ItemPrice("x", 1200))
    )
    assert price_cart([item]).lines[0].item == 200


def test_below_threshold_and_out_of_scope_have_their_codes() -> None:
    coupon = CouponTerms(7, CouponType.ALL, "满50减5", amount_off=500, threshold=5000)
    with pytest.raises(DomainError) as below:
        price_cart([Item(1, 4000, 1)], goods_coupon=coupon)
    assert below.value.code is ErrorCode.COUPON_BELOW_THRESHOLD
    scoped = CouponTerms(7, CouponType.PRODUCT, "鸡蛋券", amount_off=100, product_ids=frozenset({9}))
    with pytest.raises(DomainError) as scope:
        price_cart([Item(1, 4000, 1)], goods_coupon=scoped)
    assert scope.value.code is ErrorCode.COUPON_NOT_APPLICABLE


def test_threshold_counts_goods_after_the_promotion() -> None:
    coupon = CouponTerms(7, CouponType.ALL, "满95减5", amount_off=500, threshold=9500)
    with pytest.raises(DomainError):
        price_cart([Item(1, 10000, 1)], [FULL_100_OFF_10], goods_coupon=coupon)


def test_percent_coupon_with_cap_and_quantity_threshold() -> None:
    coupon = CouponTerms(
        7,
        CouponType.ALL,
        "8折",
        percent_off=20,
        cap=1000,
        threshold_kind=CouponThreshold.QUANTITY,
        threshold=2,
    )
    assert coupon_value(coupon, 3333) == 666
    assert coupon_value(coupon, 99999) == 1000
    assert price_cart([Item(1, 3000, 2)], goods_coupon=coupon).lines[0].coupon == 1000


def test_best_coupon_is_the_one_taking_most() -> None:
    a = CouponTerms(1, CouponType.ALL, "减5", amount_off=500)
    b = CouponTerms(2, CouponType.ALL, "减8 满200", amount_off=800, threshold=20000)
    c = CouponTerms(3, CouponType.ALL, "9折", percent_off=10)
    best = best_goods_coupon([Item(1, 6000, 1)], [], [a, b, c])
    assert best is not None
    assert best[0].coupon_id == 3
    assert best[1] == 600


def test_check_usable_codes() -> None:
    terms = CouponTerms(
        1,
        CouponType.STORE,
        "店铺券",
        amount_off=100,
        store_ids=frozenset({5}),
        valid_until=NOW + timedelta(days=1),
    )
    check_usable(terms, CouponStatus.UNUSED, 5, "MINI_PROGRAM", NOW, "couponIds")
    cases = [
        (CouponStatus.UNUSED, 6, NOW, ErrorCode.COUPON_NOT_APPLICABLE),
        (CouponStatus.UNUSED, 5, NOW + timedelta(days=2), ErrorCode.COUPON_EXPIRED),
        (CouponStatus.LOCKED, 5, NOW, ErrorCode.COUPON_UNAVAILABLE),
        (CouponStatus.USED, 5, NOW, ErrorCode.COUPON_UNAVAILABLE),
    ]
    for state, store, when, code in cases:
        with pytest.raises(DomainError) as err:
            check_usable(terms, state, store, "MINI_PROGRAM", when, "couponIds")
        assert err.value.code is code


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
promotions_st = st.lists(
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
    max_size=3,
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


@settings(max_examples=300, deadline=None)
@given(items_st, promotions_st, coupon_st, st.integers(0, 2000), st.integers(0, 500), st.data())
def test_never_negative_shares_add_up_and_refunds_stay_within_each_layer(
    items: list[Item],
    promotions: list[OrderPromotion],
    coupon: CouponTerms | None,
    delivery: int,
    packaging: int,
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
        )
    except DomainError as exc:
        if exc.code not in refused:
            raise
        return
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


def test_each_adjustment_knows_its_lines() -> None:
    coupon = CouponTerms(7, CouponType.ALL, "减5", amount_off=500)
    p = price_cart(
        [Item(1, 3000, 2, item_prices=(ItemPrice("直降", 2500),)), Item(2, 5000, 1)],
        [FULL_100_OFF_10],
        goods_coupon=coupon,
    )
    assert all(sum(a.shares) == a.amount for a in p.adjustments)
    for layer, attr in ((Layer.ITEM, "item"), (Layer.ORDER, "order"), (Layer.COUPON, "coupon")):
        per_line = [sum(a.shares[i] for a in p.adjustments if a.layer is layer) for i in range(2)]
        assert per_line == [getattr(line, attr) for line in p.lines]


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


@given(st.integers(0, 10**7), st.integers(0, 100))
def test_percent_price_rounds_the_discount_down_in_whole_cents(price: int, percent: int) -> None:
    discounted = percent_price(price, percent)
    off = price - discounted
    assert 0 <= discounted <= price
    assert off * 100 <= price * percent < (off + 1) * 100  # floor(price × percent / 100)


def test_percent_price_example() -> None:
    assert percent_price(999, 15) == 850  # 149.85 cents off → 149
    assert percent_price(1500, 15) == 1275
