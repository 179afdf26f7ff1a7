from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.pricing import allocate, units_share


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


def test_units_share_examples() -> None:
    assert units_share(1000, 3, 0, 1) == 333
    assert units_share(1000, 3, 1, 2) == 667
    assert units_share(1000, 3, 0, 3) == 1000
    assert units_share(0, 2, 0, 2) == 0


@given(st.integers(0, 10**6), st.integers(1, 50), st.data())
def test_refunding_a_line_in_steps_returns_exactly_what_was_paid(
    paid: int, quantity: int, data: st.DataObject
) -> None:
    refunded = 0
    shares = []
    while refunded < quantity:
        units = data.draw(st.integers(1, quantity - refunded))
        share = units_share(paid, quantity, refunded, units)
        fair = paid * units / quantity
        assert fair - 1 < share < fair + 1  # never a cent off the pro-rata value, for any group of units
        shares.append(share)
        refunded += units
    assert sum(shares) == paid
