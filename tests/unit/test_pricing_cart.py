from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.campaigns.rules import Tier
from models.coupons.rules import (
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
    best_goods_coupon,
    price_cart,
)
from models.pricing.item_gifts import GiftOffer
from models.pricing.order_promotions import OrderPromotion, PromotionKind

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


@given(st.integers(0, 10**7), st.integers(0, 100))
def test_percent_price_rounds_the_discount_down_in_whole_cents(price: int, percent: int) -> None:
    discounted = percent_price(price, percent)
    off = price - discounted
    assert 0 <= discounted <= price
    assert off * 100 <= price * percent < (off + 1) * 100  # floor(price × percent / 100)


def test_percent_price_example() -> None:
    assert percent_price(999, 15) == 850  # 149.85 cents off → 149
    assert percent_price(1500, 15) == 1275


def _units_percent(name: str, tiers: tuple[tuple[int, int], ...], **kw: object) -> OrderPromotion:
    return OrderPromotion(
        5,
        name,
        ThresholdKind.QUANTITY,
        tuple(Tier(i, t, 0, percent_off=p) for i, (t, p) in enumerate(tiers)),
        kind=PromotionKind.PERCENT,
        **kw,  # type: ignore[arg-type]
    )


def test_multi_buy_takes_the_highest_reached_tier_and_reads_like_the_shelf() -> None:
    multi = _units_percent("多买多折", ((2, 10), (3, 20)), product_ids=frozenset({1}))
    p = price_cart([Item(1, 1000, 3), Item(2, 5000, 1)], [multi])
    assert [a.text for a in p.adjustments] == ["多买多折: 满3件8折 −¥6.00"]
    assert [line.order for line in p.lines] == [600, 0]
    two = price_cart([Item(1, 1000, 2)], [multi])
    assert two.adjustments[0].text == "多买多折: 满2件9折 −¥2.00"
    assert two.hinted is not None
    assert two.hinted.outcome.missing == 1


def test_amount_discount_rounds_down_and_respects_its_cap() -> None:
    amount = OrderPromotion(
        6, "满额折", ThresholdKind.AMOUNT, (Tier(1, 9000, 0, percent_off=15),), kind=PromotionKind.PERCENT
    )
    p = price_cart([Item(1, 3333, 3)], [amount])
    assert [a.text for a in p.adjustments] == ["满额折: 满90元8.5折 −¥14.99"]  # 9999 × 15 % = 1499.85
    capped = OrderPromotion(
        6,
        "满额折",
        ThresholdKind.AMOUNT,
        (Tier(1, 10000, 0, percent_off=50),),
        kind=PromotionKind.PERCENT,
        cap=2000,
    )
    assert price_cart([Item(1, 10000, 3)], [capped]).adjustments[0].amount == 2000


def _bundle(size: int, price: int, products: frozenset[int] | None = None) -> OrderPromotion:
    return OrderPromotion(
        7,
        "任选",
        ThresholdKind.QUANTITY,
        (),
        products,
        kind=PromotionKind.BUNDLE,
        bundle_size=size,
        bundle_price=price,
    )


def test_bundle_groups_the_dearest_units_and_repeats() -> None:
    # 7 units: 3 × ¥5, 2 × ¥4, 2 × ¥2; 9元3件 → groups (5,5,5) and (4,4,2); the last ¥2 stays.
    p = price_cart([Item(1, 200, 2), Item(2, 500, 3), Item(3, 400, 2)], [_bundle(3, 900)])
    assert [a.text for a in p.adjustments] == ["任选: 9元3件 ×2 −¥7.00"]
    assert sum(line.order for line in p.lines) == 600 + 100
    assert p.lines[0].order <= 200  # only one ¥2 unit was grouped


def test_bundle_never_forms_a_group_that_costs_the_buyer_more() -> None:
    p = price_cart([Item(1, 500, 3), Item(2, 100, 3)], [_bundle(3, 1000)])
    assert p.applied is not None
    assert p.applied.groups == 1
    assert p.applied.reduction == 500
    assert price_cart([Item(2, 100, 3)], [_bundle(3, 1000)]).applied is None


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 3), st.integers(0, 2000), st.integers(1, 3)), min_size=1, max_size=4),
    st.integers(2, 4),
    st.integers(1, 5000),
)
def test_bundle_is_the_best_grouping_for_the_buyer(
    lines: list[tuple[int, int, int]], size: int, price: int
) -> None:
    """Whatever units are put in g groups, the buyer saves at most (the g × size dearest) − g × price."""
    items = [Item(pid, unit, qty) for pid, unit, qty in lines]
    scope = frozenset({1, 2})
    p = price_cart(items, [_bundle(size, price, scope)])
    units = sorted(
        (i.unit_price for i in items if i.product_id in scope for _ in range(i.quantity)), reverse=True
    )
    best = max(sum(units[: g * size]) - g * price for g in range(len(units) // size + 1))
    assert (p.applied.reduction if p.applied else 0) == best
    assert all(line.order == 0 for i, line in zip(items, p.lines, strict=True) if i.product_id not in scope)
    again = price_cart(items, [_bundle(size, price, scope)])
    assert again.lines == p.lines  # deterministic


def test_priority_beats_the_bigger_saving_and_equal_priority_takes_the_bigger() -> None:
    items = [Item(1, 5000, 3)]
    small = OrderPromotion(1, "满减", ThresholdKind.AMOUNT, (Tier(1, 10000, 500),), priority=1)
    big = _units_percent("多买多折", ((3, 20),))
    equal = OrderPromotion(1, "满减", ThresholdKind.AMOUNT, (Tier(1, 10000, 500),))
    for promotions, winner in (([small, big], small), ([equal, big], big)):
        applied = price_cart(items, promotions).applied
        assert applied is not None
        assert applied.promotion is winner


def test_buy_gift_counts_a_product_once_and_stops_at_its_stock() -> None:
    offer = GiftOffer(3, "买二赠一", frozenset({1}), 2, 99, 1, stock_left=2)
    other = GiftOffer(4, "也送", frozenset({1, 2}), 1, 98, 1)
    p = price_cart([Item(1, 1000, 7), Item(2, 1000, 1)], gift_offers=[offer, other])
    assert [(g.sku_id, g.quantity, g.source_id) for g in p.gifts] == [(99, 2, 3), (98, 1, 4)]
    assert p.gifts[0].label == "买二赠一: 买2赠1"
    assert p.discount == 0
