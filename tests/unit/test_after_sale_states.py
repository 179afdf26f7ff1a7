"""Every cell of the after-sale table (SPEC §4), transcribed independently of the module."""

from __future__ import annotations

import itertools

import pytest

from models.after_sale_states import (
    AFTER_SALE_ACTORS,
    AFTER_SALE_TRANSITIONS,
    OPEN_AFTER_SALE_STATUSES,
    AfterSaleAction,
    AfterSaleStatus,
    AfterSaleType,
    InvalidAfterSaleTransition,
    allowed_after_sale_actions,
    approve_action,
    is_open,
    next_after_sale_status,
)
from models.enums import ActorType
from models.errors import ErrorCode

S, A = AfterSaleStatus, AfterSaleAction

SPEC: dict[tuple[AfterSaleStatus | None, AfterSaleAction], AfterSaleStatus] = {
    (None, A.REQUEST): S.PENDING_REVIEW,
    (None, A.MERCHANT_REFUND): S.REFUNDED,
    (S.PENDING_REVIEW, A.APPROVE_REFUND_ONLY): S.REFUNDED,
    (S.PENDING_REVIEW, A.APPROVE_RETURN): S.AWAITING_RETURN,
    (S.PENDING_REVIEW, A.REJECT): S.REJECTED,
    (S.PENDING_REVIEW, A.WITHDRAW): S.CANCELLED,
    (S.AWAITING_RETURN, A.WITHDRAW): S.CANCELLED,
    (S.AWAITING_RETURN, A.SUBMIT_RETURN): S.RETURN_SHIPPED,
    (S.RETURN_SHIPPED, A.CONFIRM_RETURN_RECEIVED): S.REFUNDED,
    (S.RETURN_SHIPPED, A.REFUSE_RETURN_RECEIPT): S.RECEIPT_REJECTED,
}

CELLS = list(itertools.product([None, *AfterSaleStatus], AfterSaleAction))


@pytest.mark.parametrize(("status", "action"), CELLS, ids=lambda v: v.value if v else "NONE")
def test_every_cell(status: AfterSaleStatus | None, action: AfterSaleAction) -> None:
    expected = SPEC.get((status, action))
    if expected is None:
        with pytest.raises(InvalidAfterSaleTransition) as info:
            next_after_sale_status(status, action)
        assert info.value.code is ErrorCode.INVALID_TRANSITION
    else:
        assert next_after_sale_status(status, action) is expected


def test_table_matches_spec_exactly() -> None:
    assert dict(AFTER_SALE_TRANSITIONS) == SPEC


def test_open_statuses_are_the_ones_that_can_still_move() -> None:
    movable = {s for s in AfterSaleStatus if allowed_after_sale_actions(s)}
    assert movable == OPEN_AFTER_SALE_STATUSES
    assert all(is_open(s) == (s in movable) for s in AfterSaleStatus)


def test_buyers_ask_merchants_decide() -> None:
    assert set(AFTER_SALE_ACTORS) == set(AfterSaleAction)
    buyer = {a for a, actors in AFTER_SALE_ACTORS.items() if ActorType.CUSTOMER in actors}
    assert buyer == {A.REQUEST, A.WITHDRAW, A.SUBMIT_RETURN}
    merchant = {ActorType.STAFF, ActorType.HQ}
    assert AFTER_SALE_ACTORS[A.MERCHANT_REFUND] == merchant | {ActorType.SYSTEM}
    # 极速退款: the store's setting approves an unshipped refund-only request as the system
    assert AFTER_SALE_ACTORS[A.APPROVE_REFUND_ONLY] == merchant | {ActorType.SYSTEM}
    system = {A.MERCHANT_REFUND, A.APPROVE_REFUND_ONLY}
    assert all(actors == merchant for a, actors in AFTER_SALE_ACTORS.items() if a not in buyer | system)


def test_approval_depends_on_type() -> None:
    assert approve_action(AfterSaleType.REFUND_ONLY) is A.APPROVE_REFUND_ONLY
    assert approve_action(AfterSaleType.RETURN_AND_REFUND) is A.APPROVE_RETURN
