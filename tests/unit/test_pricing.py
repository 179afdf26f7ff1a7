from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.pricing import allocate, refund_default


def test_allocate_examples() -> None:
    assert allocate(1000, [3000, 7000]) == [300, 700]
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(0, [5, 5]) == [0, 0]
    assert allocate(1, [0, 10]) == [0, 1]
    assert allocate(0, []) == []
    with pytest.raises(ValueError, match="zero weights"):
        allocate(5, [0, 0])


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=20))
def test_allocate_sums_exactly_and_is_fair(total: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        total = 0
    shares = allocate(total, weights)
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        fair = total * weight / sum(weights) if sum(weights) else 0
        assert fair - 1 < share < fair + 1
        assert share >= 0


@given(st.integers(1, 10**6), st.integers(1, 50), st.data())
def test_refunding_a_line_in_steps_returns_exactly_what_was_paid(
    paid: int, quantity: int, data: st.DataObject
) -> None:
    refunded_amount = refunded_quantity = 0
    while refunded_quantity < quantity:
        units = data.draw(st.integers(1, quantity - refunded_quantity))
        amount = refund_default(paid, quantity, refunded_amount, refunded_quantity, units)
        assert 0 <= amount <= paid - refunded_amount
        refunded_amount += amount
        refunded_quantity += units
    assert refunded_amount == paid
