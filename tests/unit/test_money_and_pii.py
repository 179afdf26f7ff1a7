from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.money import format_cents
from models.pii import mask_phone, phone_last4


@pytest.mark.parametrize(
    ("cents", "text"),
    [(0, "0.00"), (5, "0.05"), (100, "1.00"), (12345, "123.45"), (-5, "-0.05"), (-12345, "-123.45")],
)
def test_format_cents(cents: int, text: str) -> None:
    assert format_cents(cents) == text


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_format_cents_round_trips_exactly(cents: int) -> None:
    text = format_cents(cents)
    sign = -1 if text.startswith("-") else 1
    whole, frac = text.lstrip("-").split(".")
    assert sign * (int(whole) * 100 + int(frac)) == cents
    assert len(frac) == 2


def test_mask_phone() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("12345") == "*****"
    assert phone_last4("+86 138-1234-5678") == "5678"
