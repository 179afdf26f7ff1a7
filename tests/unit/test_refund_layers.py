"""A refund's split by pricing layer adds up to the refund, and a line's refunds in any steps
(lowered or not, the fees with the last units) give each layer back exactly once."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.pricing.cart import LinePrice
from models.pricing.refunds import OrderFees, RefundedLine, RefundLayers, refund_layers


@st.composite
def lines(draw: st.DrawFn) -> tuple[LinePrice, int]:
    quantity = draw(st.integers(1, 9))
    gross = draw(st.integers(0, 50_000))
    item = draw(st.integers(0, gross))
    order = draw(st.integers(0, gross - item))
    coupon = draw(st.integers(0, gross - item - order))
    return LinePrice(gross, item, order, coupon), quantity


@settings(max_examples=60, deadline=None)
@given(
    line=lines(),
    fees=st.tuples(st.integers(0, 900), st.integers(0, 900), st.integers(0, 300)),
    data=st.data(),
)
def test_refunds_split_exactly_by_layer(
    line: tuple[LinePrice, int], fees: tuple[int, int, int], data: st.DataObject
) -> None:
    price, quantity = line
    delivery, packaging = fees[0], fees[2]
    order_fees = OrderFees(delivery, min(fees[1], delivery), packaging)
    done = refunded = 0
    splits: list[RefundLayers] = []
    while done < quantity:
        units = data.draw(st.integers(1, quantity - done))
        share = price.paid * (done + units) // quantity - price.paid * done // quantity
        amount = data.draw(st.integers(0, share))
        last = done + units == quantity
        refund = amount + (price.paid - refunded - amount + order_fees.charged if last else 0)
        split = refund_layers([RefundedLine(price, quantity, done, units, amount)], refund, order_fees)
        assert split.amount == refund
        assert min(split.goods, split.item, split.order, split.coupon, split.lowered, split.held_back) >= 0
        splits.append(split)
        done, refunded = done + units, refunded + refund
    assert sum(s.goods for s in splits) == price.gross
    assert sum(s.item for s in splits) == price.item
    assert sum(s.order for s in splits) == price.order
    assert sum(s.coupon for s in splits) == price.coupon
    assert refunded == price.paid + order_fees.charged


def test_a_price_difference_keeps_the_units() -> None:
    line = RefundedLine(LinePrice(3000, 0, 300, 200), 2, 0, 1, 400, consumes_units=False)
    assert refund_layers([line], 400, OrderFees(0, 0, 0)) == RefundLayers(price_difference=400)
