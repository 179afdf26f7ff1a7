"""退差价 in the refund policy: property-tested with refunds of units, in any order and amount."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from models.after_sales.refund_policy import (
    LineState,
    apply_refund,
    difference_refund,
    is_instant,
    line_left,
    line_refund,
    max_refund,
)
from models.after_sales.states import AfterSaleType, consumes_units
from models.errors import DomainError
from models.orders.states import OrderStatus

# (is a price difference, units, amount as a fraction of the ceiling or None for the default / over it)
_STEP = st.tuples(st.booleans(), st.integers(1, 6), st.one_of(st.none(), st.floats(0, 1.2)))


@settings(max_examples=300)
@given(
    paid=st.integers(0, 100_000),
    quantity=st.integers(1, 6),
    steps=st.lists(_STEP, min_size=1, max_size=12),
)
def test_refunds_and_differences_never_exceed_what_was_paid(
    paid: int, quantity: int, steps: list[tuple[bool, int, float | None]]
) -> None:
    line = LineState(quantity, paid, 0, 0)
    for is_difference, units, fraction in steps:
        before = line
        ceiling = max_refund(line, units) if units <= quantity - line.refunded_quantity else None
        amount = None if fraction is None or ceiling is None else int(ceiling * fraction)
        rule = difference_refund if is_difference else line_refund
        try:
            refund = rule(line, units, amount, "lines.0")
        except DomainError:
            # refused: over the units left, over the ceiling, or a difference without a positive amount
            assert (
                ceiling is None
                or (amount is not None and amount > ceiling)
                or (is_difference and (amount is None or amount <= 0))
            )
            continue
        assert ceiling is not None
        assert refund.amount <= ceiling
        line = apply_refund(line, refund, consumes_units=not is_difference)
        assert line.refunded_amount <= line.paid_amount
        assert line.refunded_quantity <= line.quantity
        if is_difference:
            assert line.refunded_quantity == before.refunded_quantity  # the buyer keeps the units
    left = line_left(line)
    if left is not None:  # refunding everything left never goes past what was paid
        assert line.refunded_amount + left.amount <= paid


def test_only_a_price_difference_keeps_the_units() -> None:
    assert [consumes_units(k) for k in AfterSaleType] == [True, True, False, False]


@given(
    kind=st.sampled_from(list(AfterSaleType)),
    status=st.sampled_from(list(OrderStatus)),
    asks=st.lists(st.tuples(st.integers(1, 5), st.integers(0, 5)), min_size=1, max_size=4),
)
def test_instant_refunds_only_for_refund_only_of_units_in_the_store(
    kind: AfterSaleType, status: OrderStatus, asks: list[tuple[int, int]]
) -> None:
    expected = (
        kind is AfterSaleType.REFUND_ONLY
        and status in {OrderStatus.PENDING_SHIPMENT, OrderStatus.PENDING_PICKUP}
        and all(asked <= in_store for asked, in_store in asks)
    )
    assert is_instant(kind, status, asks) is expected
