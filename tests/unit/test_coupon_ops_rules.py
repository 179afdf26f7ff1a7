"""The coupon purchase state table (exhaustive) and the push outcome rule (properties)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.coupons.pushes import PushOutcome, push_outcome
from models.coupons.sales import (
    PURCHASE_TRANSITIONS,
    PurchaseAction,
    PurchaseStatus,
    holds_reservation,
    next_purchase_status,
)
from models.errors import DomainError, ErrorCode


@pytest.mark.parametrize(("status", "action"), list(itertools.product(PurchaseStatus, PurchaseAction)))
def test_every_pair_moves_by_the_table_or_is_refused(status: PurchaseStatus, action: PurchaseAction) -> None:
    if (status, action) in PURCHASE_TRANSITIONS:
        assert next_purchase_status(status, action) is PURCHASE_TRANSITIONS[(status, action)]
    else:
        with pytest.raises(DomainError) as refused:
            next_purchase_status(status, action)
        assert refused.value.code is ErrorCode.INVALID_TRANSITION


@given(st.lists(st.sampled_from(PurchaseAction), max_size=6))
@settings(max_examples=200, deadline=None)
def test_any_walk_pays_at_most_once_and_refunds_only_what_was_paid(actions: list[PurchaseAction]) -> None:
    status, paid, refunded = PurchaseStatus.UNPAID, 0, 0
    for action in actions:
        try:
            status = next_purchase_status(status, action)
        except DomainError:
            continue
        paid += action is PurchaseAction.PAY
        refunded += action is PurchaseAction.REFUND
    assert paid <= 1
    assert refunded <= paid
    assert holds_reservation(status) == (status is PurchaseStatus.UNPAID)
    assert status in (PurchaseStatus.UNPAID, PurchaseStatus.EXPIRED) or paid == 1


@given(
    st.booleans(),
    st.integers(0, 5),
    st.integers(0, 2),
    st.integers(1, 5),
    st.integers(-1, 5),
)
@settings(max_examples=300, deadline=None)
def test_a_push_issues_only_within_limit_and_stock(
    holds_unused: bool, held: int, reserved: int, limit: int, remaining: int
) -> None:
    outcome = push_outcome(holds_unused, held, reserved, limit, remaining)
    if outcome is PushOutcome.ISSUED:
        assert not holds_unused
        assert held + reserved < limit
        assert remaining > 0
    elif outcome is PushOutcome.ALREADY_HAS:
        assert holds_unused
    elif outcome is PushOutcome.LIMIT:
        assert held + reserved >= limit
    else:
        assert remaining <= 0
