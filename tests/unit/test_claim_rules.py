"""餐损赔付 claims as pure rules: the state table, the amount bound, and the pay-out's money."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from models.after_sales.refund_policy import LineRefund, LineState, apply_refund, line_left, line_refund
from models.claims.rules import (
    CLAIM_ACTORS,
    CLAIM_TRANSITIONS,
    ClaimAction,
    ClaimState,
    allocate,
    check_compensation,
    next_claim_state,
)
from models.enums import ActorType
from models.errors import DomainError, ErrorCode

HQ = ActorType.HQ


def test_the_table_and_who_may_act() -> None:
    assert next_claim_state(None, ClaimAction.RAISE, ActorType.CUSTOMER) is ClaimState.PENDING
    assert next_claim_state(ClaimState.PENDING, ClaimAction.APPROVE, HQ) is ClaimState.APPROVED
    assert next_claim_state(ClaimState.APPROVED, ClaimAction.PAY, HQ) is ClaimState.PAID
    with pytest.raises(DomainError) as no:
        next_claim_state(ClaimState.PENDING, ClaimAction.APPROVE, ActorType.STAFF)
    assert no.value.code is ErrorCode.FORBIDDEN
    for state in (ClaimState.PAID, ClaimState.REJECTED):
        for action in ClaimAction:
            if HQ in CLAIM_ACTORS[action]:
                with pytest.raises(DomainError) as no:
                    next_claim_state(state, action, HQ)
                assert no.value.code is ErrorCode.INVALID_TRANSITION


def test_the_amount_is_positive_and_bounded() -> None:
    assert check_compensation(500, 500) == 500
    for amount, refundable, code in (
        (0, 10, ErrorCode.BAD_USER_INPUT),
        (11, 10, ErrorCode.REFUND_EXCEEDS_PAID),
    ):
        with pytest.raises(DomainError) as no:
            check_compensation(amount, refundable)
        assert no.value.code is code


@settings(max_examples=300)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=6), st.data())
def test_allocation_is_exact_and_within_each_line(room: list[int], data: st.DataObject) -> None:
    amount = data.draw(st.integers(0, sum(room)))
    parts = allocate(amount, room)
    assert sum(parts) == amount
    assert all(0 <= p <= r for p, r in zip(parts, room, strict=True))


class ClaimsOnAnOrder(RuleBasedStateMachine):
    """Claims decided and paid in any order, among ordinary refunds of the same lines: states move
    only by the table, and no line (so no order) ever gives back more than was paid for it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = [LineState(2, 3000, 0, 0), LineState(1, 999, 0, 0), LineState(3, 10, 0, 0)]
        self.claims: list[tuple[ClaimState, int | None]] = []
        self.paid_by_claims = 0

    def _room(self) -> list[int]:
        return [left.amount if (left := line_left(line)) else 0 for line in self.lines]

    @rule()
    def raise_claim(self) -> None:
        self.claims.append((next_claim_state(None, ClaimAction.RAISE, ActorType.STAFF), None))

    @rule(i=st.integers(0, 20), action=st.sampled_from(list(ClaimAction)), amount=st.integers(-5, 5000))
    def act(self, i: int, action: ClaimAction, amount: int) -> None:
        if not self.claims:
            return
        i %= len(self.claims)
        state, approved = self.claims[i]
        try:
            after = next_claim_state(state, action, HQ)
            if action is ClaimAction.APPROVE:
                approved = check_compensation(amount, sum(self._room()))
            if action is ClaimAction.PAY:
                assert approved is not None
                check_compensation(approved, sum(self._room()))
                parts = allocate(approved, self._room())
                for k, part in enumerate(parts):
                    left = line_left(self.lines[k])
                    if part:
                        assert left is not None
                        self.lines[k] = apply_refund(
                            self.lines[k], LineRefund(left.quantity, part), consumes_units=False
                        )
                self.paid_by_claims += approved
        except DomainError:
            assert self.claims[i][0] is state  # a refused step leaves the claim as it was
            return
        assert CLAIM_TRANSITIONS[(state, action)] is after
        self.claims[i] = (after, approved)

    @rule(k=st.integers(0, 2), quantity=st.integers(1, 3))
    def refund_units(self, k: int, quantity: int) -> None:
        try:
            refund = line_refund(self.lines[k], quantity, None, "lines.0")
        except DomainError:
            return
        self.lines[k] = apply_refund(self.lines[k], refund, consumes_units=True)

    @invariant()
    def money_never_exceeds_what_was_paid(self) -> None:
        for line in self.lines:
            assert 0 <= line.refunded_amount <= line.paid_amount
            assert line.refunded_quantity <= line.quantity
        paid = sum(a for s, a in self.claims if s is ClaimState.PAID and a is not None)
        assert paid == self.paid_by_claims
        assert all((a is not None) == (s in (ClaimState.APPROVED, ClaimState.PAID)) for s, a in self.claims)


ClaimsOnAnOrder.TestCase.settings = settings(max_examples=60, stateful_step_count=60, deadline=None)
TestClaimsOnAnOrder = ClaimsOnAnOrder.TestCase
