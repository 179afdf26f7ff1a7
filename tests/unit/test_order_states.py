"""Every cell of the order state table (SPEC §3): status × action → next status or refusal.

The expectation below is transcribed from the spec independently of `models.orders.states`,
so a wrong edit to the table fails here.
"""

from __future__ import annotations

import itertools

import pytest

from models.enums import ActorType, Fulfillment, OrderType
from models.errors import ErrorCode
from models.orders.states import (
    FINAL_STATUSES,
    TRANSITIONS,
    InvalidTransition,
    OrderAction,
    OrderStatus,
    accept_action,
    allowed_actions,
    next_status,
    pay_action,
    transition,
)

S, A = OrderStatus, OrderAction
BUYER, STAFF, HQ, SYSTEM, PAYMENT = (
    ActorType.CUSTOMER,
    ActorType.STAFF,
    ActorType.HQ,
    ActorType.SYSTEM,
    ActorType.PAYMENT,
)
PAID_NON_FINAL = [
    S.AWAITING_GROUP,
    S.PENDING_ACCEPTANCE,
    S.PENDING_ALLOCATION,
    S.PENDING_SHIPMENT,
    S.PENDING_PICKUP,
    S.SHIPPED,
]

# (from, action): (to, actors, full refund)
SPEC: dict[tuple[OrderStatus, OrderAction], tuple[OrderStatus, set[ActorType], bool]] = {
    (S.PENDING_PAYMENT, A.PAY): (S.PENDING_ACCEPTANCE, {PAYMENT}, False),
    (S.PENDING_PAYMENT, A.PAY_GROUP_BUY): (S.AWAITING_GROUP, {PAYMENT}, False),
    (S.PENDING_PAYMENT, A.CANCEL): (S.CANCELLED, {BUYER, STAFF, HQ}, False),
    (S.PENDING_PAYMENT, A.PAYMENT_TIMEOUT): (S.CANCELLED, {SYSTEM}, False),
    # extension for group buys: an unpaid member's order closes with its failed team
    (S.PENDING_PAYMENT, A.TEAM_FAILED): (S.CANCELLED, {SYSTEM}, False),
    (S.AWAITING_GROUP, A.TEAM_SUCCEEDED): (S.PENDING_ACCEPTANCE, {SYSTEM}, False),
    (S.AWAITING_GROUP, A.TEAM_FAILED): (S.CANCELLED, {SYSTEM}, True),
    # extension (issue 23): a paid member leaves a forming team, by their own hand or HQ's
    (S.AWAITING_GROUP, A.CANCEL): (S.CANCELLED, {BUYER, HQ}, True),
    (S.PENDING_ACCEPTANCE, A.ACCEPT_PICKUP): (S.PENDING_PICKUP, {STAFF, HQ, SYSTEM}, False),
    (S.PENDING_ACCEPTANCE, A.ACCEPT_SHIP): (S.PENDING_SHIPMENT, {STAFF, HQ, SYSTEM}, False),
    (S.PENDING_ACCEPTANCE, A.REJECT): (S.PENDING_ALLOCATION, {STAFF, HQ}, False),
    (S.PENDING_ACCEPTANCE, A.ACCEPTANCE_TIMEOUT): (S.PENDING_ALLOCATION, {SYSTEM}, False),
    (S.PENDING_ACCEPTANCE, A.CANCEL): (S.CANCELLED, {BUYER, STAFF, HQ}, True),
    (S.PENDING_ALLOCATION, A.REALLOCATE): (S.PENDING_ACCEPTANCE, {HQ}, False),
    (S.PENDING_ALLOCATION, A.CANCEL): (S.CANCELLED, {HQ}, True),
    (S.PENDING_SHIPMENT, A.SHIP_PARTIAL): (S.PENDING_SHIPMENT, {STAFF, HQ}, False),
    (S.PENDING_SHIPMENT, A.SHIP): (S.SHIPPED, {STAFF, HQ}, False),
    (S.SHIPPED, A.CONFIRM_RECEIPT): (S.COMPLETED, {BUYER}, False),
    (S.SHIPPED, A.AUTO_COMPLETE): (S.COMPLETED, {SYSTEM}, False),
    (S.PENDING_PICKUP, A.VERIFY_PICKUP): (S.COMPLETED, {STAFF, HQ}, False),
    # extension (issue 25, O2O store delivery): stages under 待发货 / 已发货; the courier platform
    # acts as SYSTEM, picking is the store's alone
    (S.PENDING_SHIPMENT, A.FINISH_PICKING): (S.PENDING_SHIPMENT, {STAFF, HQ}, False),
    (S.PENDING_SHIPMENT, A.ASSIGN_RIDER): (S.PENDING_SHIPMENT, {STAFF, HQ, SYSTEM}, False),
    (S.PENDING_SHIPMENT, A.UNASSIGN_RIDER): (S.PENDING_SHIPMENT, {STAFF, HQ, SYSTEM}, False),
    (S.PENDING_SHIPMENT, A.RIDER_PICKUP): (S.SHIPPED, {STAFF, HQ, SYSTEM}, False),
    (S.SHIPPED, A.DELIVER): (S.SHIPPED, {STAFF, HQ, SYSTEM}, False),
    **{(s, A.CLOSE): (S.CLOSED, {SYSTEM}, False) for s in PAID_NON_FINAL},
}

ALL_CELLS = list(itertools.product(OrderStatus, OrderAction))


@pytest.mark.parametrize(("status", "action"), ALL_CELLS, ids=lambda v: v.value)
def test_every_cell(status: OrderStatus, action: OrderAction) -> None:
    expected = SPEC.get((status, action))
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            next_status(status, action)
        assert info.value.code is ErrorCode.INVALID_TRANSITION
        assert status.value in info.value.message
        assert action.value in info.value.message
    else:
        to, actors, refund = expected
        t = transition(status, action)
        assert (t.to, set(t.actors), t.full_refund) == (to, actors, refund)


def test_table_has_nothing_beyond_the_spec() -> None:
    assert set(TRANSITIONS) == set(SPEC)


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES), ids=lambda v: v.value)
def test_final_statuses_allow_nothing(status: OrderStatus) -> None:
    assert allowed_actions(status) == frozenset()


def test_allowed_actions_by_actor() -> None:
    assert allowed_actions(S.PENDING_ACCEPTANCE, BUYER) == {A.CANCEL}
    assert allowed_actions(S.PENDING_ALLOCATION, STAFF) == frozenset()
    assert allowed_actions(S.PENDING_ALLOCATION, HQ) == {A.REALLOCATE, A.CANCEL}
    assert allowed_actions(S.SHIPPED, BUYER) == {A.CONFIRM_RECEIPT}
    assert allowed_actions(S.AWAITING_GROUP, BUYER) == {A.CANCEL}
    assert allowed_actions(S.AWAITING_GROUP, HQ) == {A.CANCEL}
    assert allowed_actions(S.AWAITING_GROUP, STAFF) == frozenset()


def test_every_non_final_status_can_be_left() -> None:
    for status in set(OrderStatus) - FINAL_STATUSES:
        assert allowed_actions(status), status


def test_pay_and_accept_pick_the_branch() -> None:
    assert pay_action(OrderType.GROUP_BUY) is A.PAY_GROUP_BUY
    assert pay_action(OrderType.NORMAL) is A.PAY
    assert pay_action(OrderType.PRE_ORDER) is A.PAY
    assert accept_action(Fulfillment.SELF_PICKUP) is A.ACCEPT_PICKUP
    assert accept_action(Fulfillment.STORE_DELIVERY) is A.ACCEPT_SHIP
    assert accept_action(Fulfillment.EXPRESS) is A.ACCEPT_SHIP
