"""Every cell of the after-sale table (SPEC §4), transcribed independently of the module."""

from __future__ import annotations

import itertools

import pytest

from models.after_sales.states import (
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
    receipt_action,
    support_buyer_action,
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
    # 换货: the goods come back like a return, then a replacement goes out
    (S.RETURN_SHIPPED, A.CONFIRM_EXCHANGE_RETURN): S.AWAITING_RESHIP,
    (S.AWAITING_RESHIP, A.SHIP_REPLACEMENT): S.RESHIPPED,
    (S.RESHIPPED, A.CONFIRM_REPLACEMENT): S.EXCHANGED,
    # 客服介入
    (S.PENDING_REVIEW, A.ESCALATE): S.ESCALATED,
    (S.REJECTED, A.ESCALATE): S.ESCALATED,
    (S.RECEIPT_REJECTED, A.ESCALATE): S.ESCALATED,  # the store refused the returned goods
    (S.ESCALATED, A.SUPPORT_BUYER_REFUND): S.REFUNDED,
    (S.ESCALATED, A.SUPPORT_BUYER_RETURN): S.AWAITING_RETURN,
    (S.ESCALATED, A.SUPPORT_BUYER_RECEIVED): S.REFUNDED,  # the refused return counts as received
    (S.ESCALATED, A.SUPPORT_BUYER_RESHIP): S.AWAITING_RESHIP,
    (S.ESCALATED, A.SUPPORT_STORE): S.CLOSED,
    (S.ESCALATED, A.WITHDRAW): S.CANCELLED,
}

T = AfterSaleType
KIND_ONLY = {
    A.APPROVE_REFUND_ONLY: {T.REFUND_ONLY, T.PRICE_DIFFERENCE},
    A.MERCHANT_REFUND: {T.REFUND_ONLY, T.PRICE_DIFFERENCE},
    A.SUPPORT_BUYER_REFUND: {T.REFUND_ONLY, T.PRICE_DIFFERENCE},
    A.APPROVE_RETURN: {T.RETURN_AND_REFUND, T.EXCHANGE},
    A.SUBMIT_RETURN: {T.RETURN_AND_REFUND, T.EXCHANGE},
    A.REFUSE_RETURN_RECEIPT: {T.RETURN_AND_REFUND, T.EXCHANGE},
    A.SUPPORT_BUYER_RETURN: {T.RETURN_AND_REFUND, T.EXCHANGE},
    A.SUPPORT_BUYER_RECEIVED: {T.RETURN_AND_REFUND},
    A.SUPPORT_BUYER_RESHIP: {T.EXCHANGE},
    A.CONFIRM_RETURN_RECEIVED: {T.RETURN_AND_REFUND},
    A.CONFIRM_EXCHANGE_RETURN: {T.EXCHANGE},
    A.SHIP_REPLACEMENT: {T.EXCHANGE},
    A.CONFIRM_REPLACEMENT: {T.EXCHANGE},
}
"""Actions of some types only; every other action applies to every type."""

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
    """A rejected request or a refused return is closed (its lines are free) yet may still be
    escalated to HQ."""
    movable = {s for s in AfterSaleStatus if allowed_after_sale_actions(s)}
    assert movable == OPEN_AFTER_SALE_STATUSES | {S.REJECTED, S.RECEIPT_REJECTED}
    assert allowed_after_sale_actions(S.REJECTED) == {A.ESCALATE}
    assert allowed_after_sale_actions(S.RECEIPT_REJECTED) == {A.ESCALATE}
    assert all(is_open(s) == (s in OPEN_AFTER_SALE_STATUSES) for s in AfterSaleStatus)


@pytest.mark.parametrize(("status", "action"), CELLS, ids=lambda v: v.value if v else "NONE")
def test_every_cell_of_every_type(status: AfterSaleStatus | None, action: AfterSaleAction) -> None:
    for kind in AfterSaleType:
        expected = SPEC.get((status, action)) if kind in KIND_ONLY.get(action, set(T)) else None
        if expected is None:
            with pytest.raises(InvalidAfterSaleTransition):
                next_after_sale_status(status, action, kind)
        else:
            assert next_after_sale_status(status, action, kind) is expected
        assert (action in allowed_after_sale_actions(status, kind)) == (expected is not None)


def test_each_type_reaches_its_own_end() -> None:
    """Walks of the happy path per type: money for refunds, a replacement for an exchange."""
    walks = {
        T.REFUND_ONLY: [A.REQUEST, A.APPROVE_REFUND_ONLY],
        T.RETURN_AND_REFUND: [A.REQUEST, A.APPROVE_RETURN, A.SUBMIT_RETURN, A.CONFIRM_RETURN_RECEIVED],
        T.EXCHANGE: [
            A.REQUEST,
            A.APPROVE_RETURN,
            A.SUBMIT_RETURN,
            A.CONFIRM_EXCHANGE_RETURN,
            A.SHIP_REPLACEMENT,
            A.CONFIRM_REPLACEMENT,
        ],
    }
    ends = {T.REFUND_ONLY: S.REFUNDED, T.RETURN_AND_REFUND: S.REFUNDED, T.EXCHANGE: S.EXCHANGED}
    for kind, walk in walks.items():
        status: AfterSaleStatus | None = None
        for action in walk:
            status = next_after_sale_status(status, action, kind)
        assert status is ends[kind]
        assert approve_action(kind) is walk[1]
        assert receipt_action(kind) in walk or kind is T.REFUND_ONLY


def test_verdicts_follow_the_approval_of_the_type() -> None:
    for kind in AfterSaleType:
        after = next_after_sale_status(S.ESCALATED, support_buyer_action(kind), kind)
        assert after is next_after_sale_status(S.PENDING_REVIEW, approve_action(kind), kind)


def test_supporting_the_buyer_on_a_refused_return_takes_the_goods_back() -> None:
    for kind in (T.RETURN_AND_REFUND, T.EXCHANGE):
        after = next_after_sale_status(S.ESCALATED, support_buyer_action(kind, goods_returned=True), kind)
        assert after is next_after_sale_status(S.RETURN_SHIPPED, receipt_action(kind), kind)


def test_buyers_ask_merchants_decide() -> None:
    assert set(AFTER_SALE_ACTORS) == set(AfterSaleAction)
    buyer = {a for a, actors in AFTER_SALE_ACTORS.items() if ActorType.CUSTOMER in actors}
    assert buyer == {A.REQUEST, A.WITHDRAW, A.SUBMIT_RETURN, A.CONFIRM_REPLACEMENT, A.ESCALATE}
    merchant = {ActorType.STAFF, ActorType.HQ}
    assert AFTER_SALE_ACTORS[A.MERCHANT_REFUND] == merchant | {ActorType.SYSTEM}
    # 极速退款: the store's setting approves an unshipped refund-only request as the system
    assert AFTER_SALE_ACTORS[A.APPROVE_REFUND_ONLY] == merchant | {ActorType.SYSTEM}
    system = {A.MERCHANT_REFUND, A.APPROVE_REFUND_ONLY}
    # the buyer confirms an exchange's replacement, or the sweeper does after the configured days
    assert AFTER_SALE_ACTORS[A.CONFIRM_REPLACEMENT] == {ActorType.CUSTOMER, ActorType.SYSTEM}
    # 客服介入: the buyer or the store escalates, only HQ decides
    assert AFTER_SALE_ACTORS[A.ESCALATE] == {ActorType.CUSTOMER, ActorType.STAFF}
    verdicts = {A.SUPPORT_BUYER_REFUND, A.SUPPORT_BUYER_RETURN, A.SUPPORT_STORE}
    verdicts |= {A.SUPPORT_BUYER_RECEIVED, A.SUPPORT_BUYER_RESHIP}
    assert all(AFTER_SALE_ACTORS[a] == {ActorType.HQ} for a in verdicts)
    others = buyer | system | verdicts | {A.CONFIRM_REPLACEMENT, A.ESCALATE}
    assert all(actors == merchant for a, actors in AFTER_SALE_ACTORS.items() if a not in others)


def test_approval_depends_on_type() -> None:
    assert approve_action(AfterSaleType.REFUND_ONLY) is A.APPROVE_REFUND_ONLY
    assert approve_action(AfterSaleType.RETURN_AND_REFUND) is A.APPROVE_RETURN
    assert approve_action(AfterSaleType.EXCHANGE) is A.APPROVE_RETURN
    assert receipt_action(AfterSaleType.EXCHANGE) is A.CONFIRM_EXCHANGE_RETURN
    assert receipt_action(AfterSaleType.RETURN_AND_REFUND) is A.CONFIRM_RETURN_RECEIVED
